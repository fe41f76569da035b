import { Module } from '@nestjs/common';
import { IdempotencyModule } from '../idempotency/idempotency.module.js';
import { OrdersModule } from '../orders/orders.module.js';
import { TenantsModule } from '../tenants/tenants.module.js';
import { RidesController } from './rides.controller.js';
import { RidesService } from './rides.service.js';

/** Rides: car orders priced by class and distance, kept as orders of the platform rides tenant. */
@Module({
  imports: [TenantsModule, OrdersModule, IdempotencyModule],
  controllers: [RidesController],
  providers: [RidesService],
})
export class RidesModule {}
