import { Injectable } from '@nestjs/common';
import { Consumer, type HandlerContext, type MessageHandler } from '../../infra/bus/consumer.js';
import { PermanentFailure } from '../../infra/bus/permanent-failure.js';
import { ORDER_PROCESS } from './order-process.js';
import {
  customerOrderRow,
  customerOrdersRepository,
  type NewCustomerOrder,
  type OrderKey,
  type StatusChange,
} from './customer-orders.repository.js';
import { OrderPlaced, type OrderPlacedPayload, type OrderTransitionPayload } from './orders.events.js';

export const CUSTOMER_ORDERS = 'customer-orders';

/** Intake's event and every event a row of the process table emits: each change of an order's summary. */
const ORDER_CHANGES = [OrderPlaced, ...new Set(ORDER_PROCESS.map((step) => step.event))];

type OrderChange = OrderPlacedPayload | OrderTransitionPayload;

/**
 * Keeps the `customer_orders` read model (control database) in step with the tenants' orders: each
 * order event carries the order's summary after the change, and the row takes it unless it already
 * holds a later status. So redeliveries, events out of order and replayed dead letters all settle on
 * the newest summary, on top of the inbox's at-most-once. Batches, like the audit trail: every order
 * change passes through here, and a batch's rows go in one upsert.
 */
@Injectable()
@Consumer({ name: CUSTOMER_ORDERS, events: ORDER_CHANGES, scope: 'control', batch: 64 })
export class CustomerOrdersProjector implements MessageHandler<OrderChange> {
  async handle(payload: OrderChange, context: HandlerContext): Promise<void> {
    await this.handleBatch([context], [payload]);
  }

  async handleBatch(contexts: HandlerContext[], payloads: OrderChange[]): Promise<void> {
    if (contexts.length === 0) return;
    const tx = contexts[0]!.tx;
    // One upsert cannot touch a row twice, and a batch may hold several events of one order: keep the
    // furthest along of each (the one the row would end with anyway).
    const newest = new Map<string, NewCustomerOrder>();
    const statusOnly: { key: OrderKey; change: StatusChange }[] = [];
    for (const [index, payload] of payloads.entries()) {
      const { envelope } = contexts[index]!;
      const tenant = envelope.tenant;
      if (!tenant) throw new PermanentFailure(`${envelope.type} ${envelope.id} names no tenant`);
      const key = { tenant, orderId: payload.orderId, customerId: payload.customerId };
      if (payload.order) {
        const row = customerOrderRow(key, payload.order);
        const id = `${tenant}/${payload.orderId}`;
        const held = newest.get(id);
        if (!held || held.progress <= row.progress) newest.set(id, row);
      } else if (payload.before !== null) {
        const { status, total, currency } = payload.after;
        statusOnly.push({ key, change: { status, total, currency, at: new Date(envelope.occurredAt) } });
      }
    }
    await customerOrdersRepository.upsert(tx, [...newest.values()]);
    // Events written before events carried the order (a rolling upgrade): they can move a row this model
    // holds (after the upsert, which may have just written it), never create one; the backfill does that.
    for (const { key, change } of statusOnly) await customerOrdersRepository.advance(tx, key, change);
  }
}
