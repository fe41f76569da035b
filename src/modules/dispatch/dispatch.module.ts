import { Module } from '@nestjs/common';
import { FleetModule } from '../fleet/fleet.module.js';
import { ActiveJobs } from './active-jobs.js';
import { DispatchDueJob } from './dispatch-due.job.js';
import { DispatchOrderTracker } from './dispatch-order-tracker.consumer.js';
import { DispatchService } from './dispatch.service.js';
import { Dispatcher } from './dispatcher.consumer.js';
import { OffersController } from './offers.controller.js';
import { TripsController } from './trips.controller.js';

/**
 * Dispatch (DESIGN §8), in the control database: jobs, offers with due times, atomic assignment, the
 * active job's trail. Orders ask for a driver with `dispatch.requested` and learn the outcome from
 * `driver.assigned` / `dispatch.failed`; dispatch follows the order through its events. Who may
 * take a job is the fleet's answer (`FleetDrivers`).
 */
@Module({
  imports: [FleetModule],
  controllers: [OffersController, TripsController],
  providers: [DispatchService, Dispatcher, DispatchOrderTracker, DispatchDueJob, ActiveJobs],
  exports: [ActiveJobs],
})
export class DispatchModule {}
