import { Module } from '@nestjs/common';
import { DispatchModule } from '../dispatch/dispatch.module.js';
import { FleetModule } from '../fleet/fleet.module.js';
import { RealtimeModule } from '../realtime/realtime.module.js';
import { DriverPositionCleanup } from './driver-position-cleanup.consumer.js';
import { LivePositions } from './live-positions.service.js';
import { SilentDriversJob } from './silent-drivers.job.js';
import { TrackingController } from './tracking.controller.js';

/**
 * Live positions (DESIGN §8, §9): drivers report over REST or the socket; positions go to the live
 * index (infra/geo), a throttled last-known row (`driver_positions`), and the active job's trail and
 * watchers. Going offline, or falling silent (the `silent-drivers` job), takes a driver out of the index.
 * Who is a driver and who is online is the fleet's (`FleetDrivers`).
 */
@Module({
  imports: [RealtimeModule, DispatchModule, FleetModule],
  controllers: [TrackingController],
  providers: [LivePositions, DriverPositionCleanup, SilentDriversJob],
})
export class TrackingModule {}
