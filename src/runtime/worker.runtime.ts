import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { BUS, type BusPort } from '../infra/bus/bus.port.js';
import { DeadLetterStore } from '../infra/bus/dead-letter-store.js';
import { LOGGER } from '../infra/logging/logger.js';
import { ConsumerRegistry } from './consumer-registry.js';

/** The worker role: consumes every registered consumer's queue until shutdown. */
@Injectable()
export class WorkerRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(BUS) private readonly bus: BusPort,
    @Inject(ConsumerRegistry) private readonly registry: ConsumerRegistry,
    @Inject(DeadLetterStore) private readonly deadLetters: DeadLetterStore,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const subscriptions = this.registry.subscriptions();
    await this.bus.consume(subscriptions, this.deadLetters);
    this.log.info({ bus: this.bus.kind, consumers: subscriptions.map((s) => s.consumer) }, 'worker consuming');
  }

  /** Stop intake and let in-flight messages finish before the infrastructure closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.bus.stopConsuming();
    this.log.info('worker stopped consuming; in-flight messages finished');
  }
}
