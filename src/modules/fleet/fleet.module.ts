import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { DriverAvailabilityService } from './driver-availability.service.js';
import { DriversController } from './drivers.controller.js';
import { DriversService } from './drivers.service.js';
import { FleetDrivers } from './fleet-drivers.js';
import { VehicleDocumentExpiryJob } from './vehicle-document-expiry.job.js';
import { VehicleVerifier } from './vehicle-verifier.consumer.js';
import { VehiclesController } from './vehicles.controller.js';
import { VehiclesService } from './vehicles.service.js';
import { VendorsController } from './vendors.controller.js';
import { VendorsService } from './vendors.service.js';

/**
 * The shared fleet (DESIGN §1, §8), in the control database: vendors, drivers (registration, licence
 * verification, active vehicle, availability) and vehicles (asynchronous verification by the
 * `vehicle-verifier` consumer, expiry by the `vehicle-document-expiry` job). Dispatch and tracking
 * work with drivers through `FleetDrivers`, never through the fleet's tables.
 */
@Module({
  imports: [UsersModule],
  controllers: [VendorsController, DriversController, VehiclesController],
  providers: [
    VendorsService,
    DriversService,
    DriverAvailabilityService,
    VehiclesService,
    VehicleVerifier,
    VehicleDocumentExpiryJob,
    FleetDrivers,
  ],
  exports: [FleetDrivers],
})
export class FleetModule {}
