import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module.js';
import { CustomersModule } from '../customers/customers.module.js';
import { IdempotencyModule } from '../idempotency/idempotency.module.js';
import { PaymentsModule } from '../payments/payments.module.js';
import { TenantsModule } from '../tenants/tenants.module.js';
import { OrderDispatch } from './order-dispatch.consumer.js';
import { OrderPayments } from './order-payments.consumer.js';
import { OrderStockCache } from './order-stock-cache.consumer.js';
import { PaymentExpiryJob } from './payment-expiry.job.js';
import { ScheduledRidesJob } from './scheduled-rides.job.js';
import { OrderValidator } from './order-validator.consumer.js';
import { CustomerOrdersController, OrdersController } from './orders.controller.js';
import { OrdersService } from './orders.service.js';

/**
 * Orders (DESIGN §7): intake with Idempotency-Key, asynchronous validation with stock reservation and
 * checkout (`order-validator`), payment outcomes (`order-payments`), expiry (`payment-expiry` job),
 * reads, and cancellation with refunds.
 */
@Module({
  imports: [TenantsModule, CatalogModule, CustomersModule, IdempotencyModule, PaymentsModule],
  controllers: [OrdersController, CustomerOrdersController],
  providers: [
    OrdersService,
    OrderValidator,
    OrderStockCache,
    OrderPayments,
    OrderDispatch,
    PaymentExpiryJob,
    ScheduledRidesJob,
  ],
  exports: [OrdersService],
})
export class OrdersModule {}
