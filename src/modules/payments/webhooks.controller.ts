import { Controller, HttpCode, Inject, Post, Req, type RawBodyRequest } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../../common/auth/decorators.js';
import { ApiJsonBody, ApiJsonOk, ApiProblem } from '../../common/http/openapi.js';
import { webhookReceiptSchema } from './payments.dto.js';
import { PaymentsService } from './payments.service.js';
import { SANDBOX, sandboxWebhookBody } from './sandbox/sandbox-provider.js';
import { stripeWebhookBody } from './stripe/stripe-events.js';
import { STRIPE } from './stripe/stripe-provider.js';

@ApiTags('payments')
@Controller('payments/webhooks')
export class WebhooksController {
  constructor(@Inject(PaymentsService) private readonly payments: PaymentsService) {}

  @Post('sandbox')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sandbox payment webhook',
    description:
      'Called by the sandbox provider (the checkout page) with a signed event. The signature covers ' +
      '`<timestamp>.<raw body>` (HMAC-SHA256, header `Ordo-Signature: t=…,v1=…`, 5 minutes tolerance). ' +
      'Each event id is applied once; later repeats answer `duplicate: true`.',
  })
  @ApiHeader({ name: 'Ordo-Signature', required: true, description: 't=<unix seconds>,v1=<hex HMAC-SHA256>' })
  @ApiJsonBody(sandboxWebhookBody)
  @ApiJsonOk(webhookReceiptSchema)
  @ApiProblem(400, 'The body is not a valid sandbox event')
  @ApiProblem(401, 'Missing, stale or wrong signature')
  @ApiProblem(404, 'No such payment (or tenant)')
  @ApiProblem(422, 'Amount or currency differ from the payment; nothing applied')
  receive(@Req() request: RawBodyRequest<FastifyRequest>) {
    return this.payments.receiveWebhook(SANDBOX, rawBody(request), request.headers);
  }

  @Post('stripe')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Stripe webhook',
    description:
      "Stripe's events about Ordo's Checkout Sessions, verified by the Stripe SDK over the raw body " +
      '(`Stripe-Signature`, STRIPE_WEBHOOK_SECRET, 5 minutes tolerance). Ordo acts on ' +
      '`checkout.session.completed`, `checkout.session.async_payment_succeeded`, ' +
      '`checkout.session.async_payment_failed`, `checkout.session.expired`, `payment_intent.payment_failed` ' +
      'and `charge.refunded`; other verified events are acknowledged with `outcome: ignored: …`. Each event ' +
      'id is applied once; later repeats answer `duplicate: true`.',
  })
  @ApiHeader({ name: 'Stripe-Signature', required: true, description: 't=<unix seconds>,v1=<hex HMAC-SHA256>' })
  @ApiJsonBody(stripeWebhookBody)
  @ApiJsonOk(webhookReceiptSchema)
  @ApiProblem(400, 'The body is not a Stripe event')
  @ApiProblem(401, 'Missing, stale or wrong signature')
  @ApiProblem(404, 'No such payment (or tenant), or payments here do not go through Stripe')
  @ApiProblem(422, 'Amount or currency differ from the payment; nothing applied')
  receiveStripe(@Req() request: RawBodyRequest<FastifyRequest>) {
    return this.payments.receiveWebhook(STRIPE, rawBody(request), request.headers);
  }
}

/** The exact bytes received: the signatures cover them, not a re-serialised parse. */
function rawBody(request: RawBodyRequest<FastifyRequest>): string {
  return request.rawBody?.toString('utf8') ?? '';
}
