import { Module } from '@nestjs/common';
import { TenantsModule } from '../tenants/tenants.module.js';
import { PAYMENT_PROVIDER } from './payment-provider.port.js';
import { PaymentsService } from './payments.service.js';
import { RefundProcessor } from './refund-processor.consumer.js';
import { CheckoutRateLimitGuard } from './sandbox/checkout-rate-limit.guard.js';
import { SANDBOX_CHECKOUT_ROUTES, SandboxCheckoutController } from './sandbox/sandbox-checkout.controller.js';
import { SandboxProvider } from './sandbox/sandbox-provider.js';
import { STRIPE_CHECKOUT_ROUTES, StripeCheckoutController } from './stripe/stripe-checkout.controller.js';
import { StripeProvider } from './stripe/stripe-provider.js';
import { WebhooksController } from './webhooks.controller.js';
import { ENV } from '../../config/config.module.js';
import type { Env } from '../../config/env.schema.js';

/** The customer-facing checkout pages, outside the `/api` prefix. */
export const CHECKOUT_ROUTES = [...SANDBOX_CHECKOUT_ROUTES, ...STRIPE_CHECKOUT_ROUTES];

/**
 * Payments (DESIGN §7): the provider port with its two adapters — the built-in sandbox (its checkout
 * page and webhook) and Stripe (its checkout link and webhook), chosen by PAYMENT_PROVIDER — payment
 * records and events, refunds. The orders module drives it; it knows nothing of orders beyond their ids.
 */
@Module({
  imports: [TenantsModule],
  controllers: [WebhooksController, SandboxCheckoutController, StripeCheckoutController],
  providers: [
    SandboxProvider,
    CheckoutRateLimitGuard,
    StripeProvider,
    {
      provide: PAYMENT_PROVIDER,
      inject: [ENV, SandboxProvider, StripeProvider],
      useFactory: (env: Env, sandbox: SandboxProvider, stripe: StripeProvider) =>
        env.PAYMENT_PROVIDER === 'stripe' ? stripe : sandbox,
    },
    PaymentsService,
    RefundProcessor,
  ],
  exports: [PaymentsService],
})
export class PaymentsModule {}
