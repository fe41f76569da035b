import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { z } from 'zod';
import type { Envelope } from '../../infra/bus/envelope.js';
import { UnitOfWork } from '../../infra/bus/unit-of-work.js';
import {
  OfferAccepted,
  OfferCreated,
  OfferDeclined,
  OfferExpired,
  OfferWithdrawn,
  type OfferClosedPayload,
  type OfferCreatedPayload,
} from '../dispatch/dispatch.events.js';
import type { offerClosedMessage, offerNewMessage } from './realtime-events.js';
import { RealtimePublisher } from './realtime-publisher.js';
import { rooms } from './realtime-rooms.js';

const CLOSED_BECAUSE: Record<string, z.infer<typeof offerClosedMessage>['reason']> = {
  [OfferAccepted.type]: 'accepted',
  [OfferDeclined.type]: 'declined',
  [OfferExpired.type]: 'expired',
  [OfferWithdrawn.type]: 'withdrawn',
};

/**
 * Tells a driver about their offers as they happen: `offer.new` (with pickup, drop-off, distance and
 * deadline) and `offer.closed` (accepted, declined, expired or withdrawn), in the room `driver:<user id>`,
 * right after the change commits, in the process that made it (no hop through the bus). A driver app
 * re-reads `GET /api/drivers/me/offers` on reconnect.
 */
@Injectable()
export class OfferPush implements OnModuleInit {
  constructor(
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(RealtimePublisher) private readonly publisher: RealtimePublisher,
  ) {}

  onModuleInit(): void {
    this.unitOfWork.onCommitted<OfferCreatedPayload | OfferClosedPayload>(
      [OfferCreated, OfferAccepted, OfferDeclined, OfferExpired, OfferWithdrawn],
      (envelope) => this.push(envelope),
    );
  }

  private push({ id, type, tenant, payload }: Envelope<OfferCreatedPayload | OfferClosedPayload>): void {
    const to = [rooms.driver(payload.driverUserId)];
    const common = { eventId: id, offerId: payload.offerId, tenant, orderId: payload.orderId };
    if (type === OfferCreated.type) {
      const created = payload as OfferCreatedPayload;
      this.publisher.publish(to, 'offer.new', {
        ...common,
        expiresAt: created.expiresAt,
        distanceKm: created.distanceKm,
        pickup: created.pickup,
        dropoff: created.dropoff,
      } satisfies z.infer<typeof offerNewMessage>);
    } else {
      const closed: z.infer<typeof offerClosedMessage> = { ...common, reason: CLOSED_BECAUSE[type]! };
      this.publisher.publish(to, 'offer.closed', closed);
    }
  }
}
