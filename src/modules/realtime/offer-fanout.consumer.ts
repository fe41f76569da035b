import { Inject, Injectable } from '@nestjs/common';
import { Consumer, type MessageHandler } from '../../infra/bus/consumer.js';
import type { Envelope } from '../../infra/bus/envelope.js';
import {
  OfferAccepted,
  OfferCreated,
  OfferDeclined,
  OfferExpired,
  OfferWithdrawn,
  type OfferClosedPayload,
  type OfferCreatedPayload,
} from '../dispatch/dispatch.events.js';
import { RealtimePublisher } from './realtime-publisher.js';
import { rooms } from './realtime-rooms.js';

const CLOSED_BECAUSE: Record<string, string> = {
  [OfferAccepted.type]: 'accepted',
  [OfferDeclined.type]: 'declined',
  [OfferExpired.type]: 'expired',
  [OfferWithdrawn.type]: 'withdrawn',
};

/**
 * Tells a driver about their offers as they happen: `offer.new` (with pickup, drop-off, distance and
 * deadline) and `offer.closed` (accepted, declined, expired or withdrawn), in the room `driver:<user id>`.
 * After commit, like every fan-out; a driver app re-reads `GET /api/drivers/me/offers` on reconnect.
 */
@Injectable()
@Consumer({
  name: 'offer-fanout',
  events: [OfferCreated, OfferAccepted, OfferDeclined, OfferExpired, OfferWithdrawn],
  scope: 'control',
})
export class OfferFanout implements MessageHandler<OfferCreatedPayload | OfferClosedPayload> {
  constructor(@Inject(RealtimePublisher) private readonly publisher: RealtimePublisher) {}

  prepare(payload: OfferCreatedPayload | OfferClosedPayload, envelope: Envelope): Promise<void> {
    const to = [rooms.driver(payload.driverUserId)];
    const common = {
      eventId: envelope.id,
      offerId: payload.offerId,
      tenant: envelope.tenant,
      orderId: payload.orderId,
    };
    if (envelope.type === OfferCreated.type) {
      const created = payload as OfferCreatedPayload;
      this.publisher.publish(to, 'offer.new', {
        ...common,
        expiresAt: created.expiresAt,
        distanceKm: created.distanceKm,
        pickup: created.pickup,
        dropoff: created.dropoff,
      });
    } else {
      this.publisher.publish(to, 'offer.closed', { ...common, reason: CLOSED_BECAUSE[envelope.type] });
    }
    return Promise.resolve();
  }

  async handle(): Promise<void> {}
}
