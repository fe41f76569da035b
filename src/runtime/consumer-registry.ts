import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { BUS, type BusPort, type Subscription } from '../infra/bus/bus.port.js';
import {
  CONSUMER_METADATA,
  resolveConsumer,
  type ConsumerDeclaration,
  type MessageHandler,
} from '../infra/bus/consumer.js';
import { InboxProcessor } from '../infra/bus/inbox-processor.js';

/**
 * Finds every `@Consumer` provider and turns it into a subscription. Every role declares the full
 * topology at start, so an event published before any worker ever ran still has its queues.
 *
 * `events: 'all'` resolves here to every type defined with `defineEvent`: by now every feature
 * module (and so every event definition) has been imported.
 */
@Injectable()
export class ConsumerRegistry implements OnModuleInit {
  private cached?: Subscription[];

  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(InboxProcessor) private readonly processor: InboxProcessor,
    @Inject(BUS) private readonly bus: BusPort,
  ) {}

  subscriptions(): Subscription[] {
    if (this.cached) return this.cached;
    const seen = new Map<string, string>();
    const subscriptions: Subscription[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      const metatype = wrapper.metatype;
      if (!instance || !metatype) continue;
      const declaration = this.reflector.get<ConsumerDeclaration | undefined>(CONSUMER_METADATA, metatype);
      if (!declaration) continue;
      const owner = seen.get(declaration.name);
      if (owner) throw new Error(`Consumer name "${declaration.name}" is used by both ${owner} and ${metatype.name}`);
      if (typeof (instance as Partial<MessageHandler>).handle !== 'function') {
        throw new Error(`Consumer ${metatype.name} has no handle() method`);
      }
      seen.set(declaration.name, metatype.name);
      subscriptions.push(
        this.processor.subscription(resolveConsumer(declaration), instance as MessageHandler<unknown, unknown>),
      );
    }
    this.cached = subscriptions;
    return subscriptions;
  }

  /**
   * Declares at module init, before any `onApplicationBootstrap` hook: those may already emit events
   * (the first admin's `user.created`), and a message published before its queues and bindings
   * exist reaches no consumer.
   */
  async onModuleInit(): Promise<void> {
    await this.bus.declare(this.subscriptions());
  }
}
