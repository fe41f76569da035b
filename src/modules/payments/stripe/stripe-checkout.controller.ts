import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { Public } from '../../../common/auth/decorators.js';
import { CLOCK, type Clock } from '../../../common/clock.js';
import { LOGGER } from '../../../infra/logging/logger.js';
import { ReadyTenants, type TenantContext } from '../../tenants/ready-tenants.js';
import { isPayable, paymentsRepository, type Payment } from '../payments.repository.js';
import { returnHtml } from './return-page.js';
import { StripeProvider, type HostedSession } from './stripe-provider.js';

/** Paths outside the `/api` prefix: the links a customer's browser follows. */
const HTML = { 'text/html': { schema: { type: 'string' } } };

export const STRIPE_CHECKOUT_ROUTES = ['pay/stripe/:token', 'pay/stripe/:token/return'];

interface Found {
  tenant: TenantContext;
  payment: Payment;
  link: string;
}

/**
 * The order's checkout link under Stripe. Following it opens the payment's Checkout Session (the first
 * time; the same session afterwards) and redirects the browser to Stripe's page; Stripe sends the
 * customer back to `…/return`, which shows where the payment stands. The payment itself is recorded
 * only from the signed webhook, never from the browser coming back.
 */
@ApiTags('checkout')
@ApiParam({ name: 'token', description: 'The signed token of a checkout link (`payment.checkoutUrl`)' })
@ApiResponse({ status: 404, description: 'No such checkout: the link is not valid', content: HTML })
@Controller('pay/stripe')
export class StripeCheckoutController {
  constructor(
    @Inject(StripeProvider) private readonly stripe: StripeProvider,
    @Inject(ReadyTenants) private readonly tenants: ReadyTenants,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get(':token')
  @Public()
  @ApiOperation({ summary: "Stripe checkout link: opens the payment's one Checkout Session and redirects to it" })
  @ApiResponse({ status: 303, description: "To Stripe's hosted payment page" })
  @ApiResponse({
    status: 409,
    description: 'No longer payable (paid, failed or expired): a page saying so',
    content: HTML,
  })
  @ApiResponse({ status: 503, description: 'Stripe could not be reached: a page asking to try again', content: HTML })
  async open(@Param('token') token: string, @Res() reply: FastifyReply) {
    const found = await this.find(token);
    if (!found) return notFound(reply);
    if (!isPayable(found.payment, this.clock.now())) return this.page(reply, found, 409);
    let session: HostedSession;
    try {
      session = await this.session(found);
    } catch (error) {
      this.log.warn({ err: error, payment: found.payment.id }, 'Stripe Checkout Session could not be opened');
      return this.page(reply, found, 503, 'The payment page could not be opened just now. Try again in a moment.');
    }
    if (!session.url) return this.page(reply, found, 409, 'This checkout is closed.');
    return reply.header('cache-control', 'no-store').redirect(session.url, 303);
  }

  @Get(':token/return')
  @Public()
  @ApiOperation({ summary: 'Where Stripe sends the customer back: the payment as it stands' })
  @ApiResponse({ status: 200, description: 'The page', content: HTML })
  async returned(@Param('token') token: string, @Res() reply: FastifyReply) {
    const found = await this.find(token);
    return found ? this.page(reply, found, 200) : notFound(reply);
  }

  /** The payment's session: kept from the first time, else opened now and kept. */
  private async session({ tenant, payment }: Found): Promise<HostedSession> {
    if (payment.providerRef) return this.stripe.session(payment.providerRef);
    const session = await this.stripe.openSession({
      tenant: tenant.code,
      merchant: tenant.name,
      paymentId: payment.id,
      orderId: payment.orderId,
      amount: payment.amount,
      currency: payment.currency,
    });
    await tenant.db.transaction((tx) => paymentsRepository.setProviderRef(tx, payment.id, session.providerRef));
    return session;
  }

  private async find(token: string): Promise<Found | undefined> {
    const target = this.stripe.checkoutTarget(token);
    const tenant = target && (await this.tenants.find(target.tenant));
    const payment = tenant && (await tenant.db.read((db) => paymentsRepository.find(db, target.paymentId)));
    if (!tenant || payment?.provider !== this.stripe.name) return undefined;
    return { tenant, payment, link: `/pay/stripe/${token}` };
  }

  private page(reply: FastifyReply, { tenant, payment, link }: Found, status: number, message?: string) {
    const payable = isPayable(payment, this.clock.now());
    return reply
      .status(status)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(
        returnHtml({
          merchant: tenant.name,
          orderId: payment.orderId,
          amount: payment.amount,
          currency: payment.currency,
          status: payment.status,
          ...(payable ? { payLink: link } : {}),
          message: message ?? statusMessage(payment.status, payable),
        }),
      );
  }
}

function statusMessage(status: string, payable: boolean): string {
  if (status === 'SUCCEEDED') return 'Payment received. Thank you!';
  if (payable) return 'Not paid yet. If you just paid, the confirmation is on its way: reload in a moment.';
  return 'This payment can no longer be made.';
}

function notFound(reply: FastifyReply) {
  return reply
    .status(404)
    .type('text/html; charset=utf-8')
    .send('<!doctype html><title>Not found</title><p>This checkout link is not valid.</p>');
}
