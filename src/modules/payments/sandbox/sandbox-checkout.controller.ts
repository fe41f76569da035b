import {
  applyDecorators,
  Controller,
  Get,
  Header,
  HttpCode,
  Inject,
  Param,
  Post,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { Public } from '../../../common/auth/decorators.js';
import { CLOCK, type Clock } from '../../../common/clock.js';
import { LOGGER } from '../../../infra/logging/logger.js';
import { ReadyTenants } from '../../tenants/ready-tenants.js';
import { isPayable, paymentsRepository } from '../payments.repository.js';
import { PaymentsService } from '../payments.service.js';
import { CHECKOUT_CSP, checkoutHtml } from './checkout-page.js';
import { CheckoutRateLimitGuard } from './checkout-rate-limit.guard.js';
import { SANDBOX, SandboxProvider } from './sandbox-provider.js';
import { SIGNATURE_HEADER } from './webhook-signature.js';

/** Paths outside the `/api` prefix: the page a customer's browser opens. */
export const SANDBOX_CHECKOUT_ROUTES = ['pay/:token', 'pay/:token/pay', 'pay/:token/decline'];

type Outcome = 'pay' | 'decline';

const HTML = { 'text/html': { schema: { type: 'string' } } };

/** What Pay and Decline answer: always the page again, its status saying how it went. */
const SubmitResponses = () =>
  applyDecorators(
    ApiResponse({ status: 200, description: 'Applied: the page with the outcome', content: HTML }),
    ApiResponse({
      status: 409,
      description: 'No longer payable (paid, failed or expired): the page as it stands',
      content: HTML,
    }),
    ApiResponse({ status: 503, description: 'The payment could not be applied just now: try again', content: HTML }),
  );

/**
 * The sandbox provider's hosted checkout (HTML, not part of the API). Pay and Decline post back here;
 * the sandbox then signs the event a real provider would send and hands it to the webhook handling in
 * process (verification, deduplication, money checks: the path of `POST /api/payments/webhooks/sandbox`,
 * without an HTTP round trip to itself), and shows the result.
 */
@ApiTags('checkout')
@ApiParam({ name: 'token', description: 'The signed token of a checkout link (`payment.checkoutUrl`)' })
@ApiResponse({ status: 404, description: 'No such checkout: the link is not valid', content: HTML })
@Controller('pay')
export class SandboxCheckoutController {
  constructor(
    @Inject(SandboxProvider) private readonly sandbox: SandboxProvider,
    @Inject(ReadyTenants) private readonly tenants: ReadyTenants,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PaymentsService) private readonly payments: PaymentsService,
  ) {}

  @Get(':token')
  @Public()
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'The sandbox checkout page: amount, merchant, and Pay / Decline while payable' })
  @ApiResponse({ status: 200, description: 'The page', content: HTML })
  async page(@Param('token') token: string, @Res() reply: FastifyReply) {
    await this.render(reply, token, 200);
  }

  @Post(':token/pay')
  @Public()
  @UseGuards(CheckoutRateLimitGuard)
  @HttpCode(200)
  @ApiOperation({ summary: 'Pay (sandbox: always succeeds); the signed payment.succeeded webhook is applied' })
  @SubmitResponses()
  pay(@Param('token') token: string, @Res() reply: FastifyReply) {
    return this.submit(token, 'pay', reply);
  }

  @Post(':token/decline')
  @Public()
  @UseGuards(CheckoutRateLimitGuard)
  @HttpCode(200)
  @ApiOperation({
    summary: 'Decline (sandbox: always fails the payment); the signed payment.failed webhook is applied',
  })
  @SubmitResponses()
  decline(@Param('token') token: string, @Res() reply: FastifyReply) {
    return this.submit(token, 'decline', reply);
  }

  private async submit(token: string, outcome: Outcome, reply: FastifyReply) {
    const found = await this.find(token);
    if (!found) return this.notFound(reply);
    const { payment, tenant } = found;
    if (!isPayable(payment, this.clock.now())) return this.render(reply, token, 409);
    const webhook = this.sandbox.signedWebhook({
      type: outcome === 'pay' ? 'payment.succeeded' : 'payment.failed',
      data: {
        tenant: tenant.code,
        payment: payment.id,
        amount: payment.amount,
        currency: payment.currency,
        ...(outcome === 'decline' ? { reason: 'declined by the payer' } : {}),
      },
    });
    // The signed webhook a real provider would send, applied in process: the same verification,
    // deduplication and money checks as `POST /api/payments/webhooks/sandbox`, without an HTTP hop to itself.
    const delivered = await this.payments
      .receiveWebhook(SANDBOX, webhook.body, { [SIGNATURE_HEADER]: webhook.signature })
      .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))));
    if (delivered instanceof Error) {
      this.log.warn({ err: delivered, payment: payment.id }, 'sandbox webhook could not be applied');
      return this.render(reply, token, 503, 'The shop could not take the payment just now. Try again.');
    }
    return this.render(reply, token, 200, outcome === 'pay' ? 'Payment received. Thank you!' : 'Payment declined.');
  }

  private async find(token: string) {
    const target = this.sandbox.checkoutTarget(token);
    const tenant = target && (await this.tenants.find(target.tenant));
    const payment = tenant && (await tenant.db.read((db) => paymentsRepository.find(db, target.paymentId)));
    return tenant && payment ? { tenant, payment } : undefined;
  }

  private async render(reply: FastifyReply, token: string, status: number, message?: string) {
    const found = await this.find(token);
    if (!found) return this.notFound(reply);
    const { payment, tenant } = found;
    return reply
      .status(status)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-security-policy', CHECKOUT_CSP)
      .send(
        checkoutHtml({
          merchant: tenant.name,
          orderId: payment.orderId,
          amount: payment.amount,
          currency: payment.currency,
          status: payment.status,
          payable: isPayable(payment, this.clock.now()),
          action: `/pay/${token}`,
          ...(message ? { message } : {}),
        }),
      );
  }

  private notFound(reply: FastifyReply) {
    return reply
      .status(404)
      .type('text/html; charset=utf-8')
      .send('<!doctype html><title>Not found</title><p>This checkout link is not valid.</p>');
  }
}
