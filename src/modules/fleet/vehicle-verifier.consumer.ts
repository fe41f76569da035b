import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../../common/clock.js';
import { Consumer, type HandlerContext, type MessageHandler } from '../../infra/bus/consumer.js';
import { canTransitionVehicle } from './fleet-states.js';
import { VehicleRejected, VehicleSubmitted, VehicleVerified, type VehicleSubmittedPayload } from './fleet.events.js';
import { vehicleRejectionReasons, todayUtc } from './vehicle-rules.js';
import { vehiclesRepository } from './vehicles.repository.js';

export const VEHICLE_VERIFIER = 'vehicle-verifier';

/**
 * Decides a submitted vehicle: VERIFIED, or REJECTED with every failed rule in `rejectionReasons`
 * (plate format, documents valid today, age, seats for the class: see vehicle-rules.ts). It judges
 * the vehicle as it is now, under a row lock, not as the event describes it: a vehicle changed twice
 * before the verifier ran is decided once on its latest data, and the second event finds it no longer
 * SUBMITTED and does nothing (as does a redelivery).
 */
@Injectable()
@Consumer({ name: VEHICLE_VERIFIER, events: [VehicleSubmitted], scope: 'control' })
export class VehicleVerifier implements MessageHandler<VehicleSubmittedPayload> {
  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  async handle({ vehicleId }: VehicleSubmittedPayload, { tx, emit }: HandlerContext): Promise<void> {
    const vehicle = await vehiclesRepository.find(tx, vehicleId, { lock: 'update' });
    if (!vehicle || vehicle.status !== 'SUBMITTED') return;
    const now = this.clock.now();
    const reasons = vehicleRejectionReasons(vehicle, todayUtc(now));
    const event = { aggregateId: vehicleId };
    const base = { vehicleId, driverId: vehicle.driverId, before: { status: vehicle.status } };
    if (reasons.length === 0) {
      if (!canTransitionVehicle(vehicle.status, 'VERIFIED')) return;
      await vehiclesRepository.update(tx, vehicleId, {
        status: 'VERIFIED',
        rejectionReasons: [],
        verifiedAt: now,
      });
      await emit(VehicleVerified, { ...event, payload: { ...base, after: { status: 'VERIFIED' } } });
      return;
    }
    await vehiclesRepository.update(tx, vehicleId, { status: 'REJECTED', rejectionReasons: reasons, verifiedAt: null });
    await emit(VehicleRejected, {
      ...event,
      payload: { ...base, after: { status: 'REJECTED', rejectionReasons: reasons } },
    });
  }
}
