import { Module } from '@nestjs/common';
import { TenantsModule } from '../tenants/tenants.module.js';
import { PAYMENT_PROVIDER } from './payment-provider.port.js';
import { PaymentsService } from './payments.service.js';
import { RefundProcessor } from './refund-processor.consumer.js';
import { CheckoutRateLimitGuard } from './sandbox/checkout-rate-limit.guard.js';
import { SandboxCheckoutController } from './sandbox/sandbox-checkout.controller.js';
import { SandboxProvider } from './sandbox/sandbox-provider.js';
import { WebhooksController } from './webhooks.controller.js';

/**
 * Payments (DESIGN §7): the provider port with the built-in sandbox provider (its checkout page and
 * webhook), payment records and events, refunds. The orders module drives it; it knows nothing of orders
 * beyond their ids.
 */
@Module({
  imports: [TenantsModule],
  controllers: [WebhooksController, SandboxCheckoutController],
  providers: [
    SandboxProvider,
    CheckoutRateLimitGuard,
    { provide: PAYMENT_PROVIDER, useExisting: SandboxProvider },
    PaymentsService,
    RefundProcessor,
  ],
  exports: [PaymentsService],
})
export class PaymentsModule {}
