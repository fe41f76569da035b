import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { BUS, type BusPort, type Subscription } from '../infra/bus/bus.port.js';
import { CONSUMER_METADATA, type ConsumerOptions, type MessageHandler } from '../infra/bus/consumer.js';
import { InboxProcessor } from '../infra/bus/inbox-processor.js';

/**
 * Finds every `@Consumer` provider and turns it into a subscription. Every role declares the full
 * topology at start, so an event published before any worker ever ran still has its queues.
 */
@Injectable()
export class ConsumerRegistry implements OnApplicationBootstrap {
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
      const options = this.reflector.get<ConsumerOptions | undefined>(CONSUMER_METADATA, metatype);
      if (!options) continue;
      const owner = seen.get(options.name);
      if (owner) throw new Error(`Consumer name "${options.name}" is used by both ${owner} and ${metatype.name}`);
      if (typeof (instance as Partial<MessageHandler>).handle !== 'function') {
        throw new Error(`Consumer ${metatype.name} has no handle() method`);
      }
      seen.set(options.name, metatype.name);
      subscriptions.push(this.processor.subscription(options, instance as MessageHandler));
    }
    this.cached = subscriptions;
    return subscriptions;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.bus.declare(this.subscriptions());
  }
}
