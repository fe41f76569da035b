import { Inject, Injectable } from '@nestjs/common';
import { Consumer, type MessageHandler } from '../../infra/bus/consumer.js';
import type { Envelope } from '../../infra/bus/envelope.js';
import { CatalogCache } from '../catalog/catalog-cache.js';
import {
  OrderCancelled,
  OrderExpired,
  OrderPaid,
  OrderValidated,
  type OrderTransitionPayload,
} from './orders.events.js';

/**
 * Invalidates a tenant's cached catalog after an order moved its stock in a consumer's transaction
 * (reserved at validation, committed at payment, released at expiry; cancels too). A handler cannot act after its own commit; the events it emitted are
 * only published after that commit, so reacting to them here is "after commit" by construction.
 * The work is in `prepare()` — a cache call, outside any transaction and safe to repeat; `handle`
 * only records the inbox mark. Cancels made over HTTP also invalidate at once, after their commit.
 */
@Injectable()
@Consumer({
  name: 'order-stock-cache',
  events: [OrderValidated, OrderPaid, OrderExpired, OrderCancelled],
  scope: 'tenant',
})
export class OrderStockCache implements MessageHandler<OrderTransitionPayload> {
  constructor(@Inject(CatalogCache) private readonly catalog: CatalogCache) {}

  async prepare(_payload: OrderTransitionPayload, envelope: Envelope): Promise<void> {
    if (envelope.tenant) await this.catalog.invalidate(envelope.tenant);
  }

  async handle(): Promise<void> {}
}
