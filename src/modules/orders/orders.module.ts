import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module.js';
import { CustomersModule } from '../customers/customers.module.js';
import { IdempotencyModule } from '../idempotency/idempotency.module.js';
import { PaymentsModule } from '../payments/payments.module.js';
import { TenantsModule } from '../tenants/tenants.module.js';
import { CustomerOrdersProjector } from './customer-orders.projector.js';
import { OrderDispatch } from './order-dispatch.consumer.js';
import { OrderPayments } from './order-payments.consumer.js';
import { OrderEffects } from './order-effects.js';
import { OrderFulfilment } from './order-fulfilment.js';
import { OrderTransitions } from './order-transitions.js';
import { PaymentExpiryJob } from './payment-expiry.job.js';
import { ScheduledRidesJob } from './scheduled-rides.job.js';
import { OrderValidator } from './order-validator.consumer.js';
import { CustomerOrdersController, OrdersController } from './orders.controller.js';
import { OrdersService } from './orders.service.js';

/**
 * Orders (DESIGN §7): intake with Idempotency-Key, asynchronous validation (`order-validator`), payment
 * outcomes (`order-payments`), dispatch outcomes (`order-dispatch`), expiry (`payment-expiry` job),
 * scheduled rides, reads (a customer's list across tenants from the `customer-orders` read model), and
 * cancellation. Every status change is a row of the order process table (`order-process.ts`), whose
 * effects reach the catalog, payments and dispatch through their faces.
 */
@Module({
  imports: [TenantsModule, CatalogModule, CustomersModule, IdempotencyModule, PaymentsModule],
  controllers: [OrdersController, CustomerOrdersController],
  providers: [
    OrdersService,
    OrderEffects,
    OrderTransitions,
    OrderFulfilment,
    OrderValidator,
    OrderPayments,
    OrderDispatch,
    CustomerOrdersProjector,
    PaymentExpiryJob,
    ScheduledRidesJob,
  ],
  exports: [OrdersService],
})
export class OrdersModule {}
