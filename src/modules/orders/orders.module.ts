import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module.js';
import { CustomersModule } from '../customers/customers.module.js';
import { IdempotencyModule } from '../idempotency/idempotency.module.js';
import { TenantsModule } from '../tenants/tenants.module.js';
import { OrderStockCache } from './order-stock-cache.consumer.js';
import { OrderValidator } from './order-validator.consumer.js';
import { CustomerOrdersController, OrdersController } from './orders.controller.js';
import { OrdersService } from './orders.service.js';

/**
 * Orders (DESIGN §7), first slice: intake with Idempotency-Key, asynchronous validation with stock
 * reservation (`order-validator`), reads, and cancellation before payment.
 */
@Module({
  imports: [TenantsModule, CatalogModule, CustomersModule, IdempotencyModule],
  controllers: [OrdersController, CustomerOrdersController],
  providers: [OrdersService, OrderValidator, OrderStockCache],
})
export class OrdersModule {}
