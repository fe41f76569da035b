import { Inject, Injectable } from '@nestjs/common';
import type { z } from 'zod';
import { Consumer, type MessageHandler } from '../../infra/bus/consumer.js';
import type { Envelope } from '../../infra/bus/envelope.js';
import { GEO_INDEX, type GeoIndexPort } from '../../infra/geo/geo.port.js';
import { DriverWentOffline } from '../fleet/fleet.events.js';

type DriverWentOfflinePayload = z.infer<typeof DriverWentOffline.schema>;

/**
 * A driver who went offline leaves the live index, whatever took them offline. The removal runs in
 * `prepare()` (outside the transaction: the index is not the database) and is a compare-and-delete on
 * the time they went offline, so a late or redelivered message never removes a driver who has since
 * come back online and reported again.
 */
@Injectable()
@Consumer({ name: 'driver-position-cleanup', events: [DriverWentOffline], scope: 'control' })
export class DriverPositionCleanup implements MessageHandler<DriverWentOfflinePayload> {
  constructor(@Inject(GEO_INDEX) private readonly geo: GeoIndexPort) {}

  async prepare(_payload: DriverWentOfflinePayload, envelope: Envelope): Promise<void> {
    await this.geo.remove(envelope.aggregateId, { seenBefore: new Date(envelope.occurredAt) });
  }

  async handle(): Promise<void> {}
}
