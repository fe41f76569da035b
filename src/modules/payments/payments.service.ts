import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, fromNow, type Clock } from '../../common/clock.js';
import { ENV } from '../../config/config.module.js';
import type { Env } from '../../config/env.schema.js';
import { newId } from '../../common/ids.js';
import { problem } from '../../common/http/problem.js';
import { ProblemException } from '../../common/http/problem-exception.js';
import { UnitOfWork, type Emit } from '../../infra/bus/unit-of-work.js';
import type { Db } from '../../infra/database/sql-database.js';
import { ReadyTenants } from '../tenants/ready-tenants.js';
import { PAYMENT_PROVIDER, type PaymentProvider, type ProviderEvent } from './payment-provider.port.js';
import {
  checkoutView,
  paymentHistoryView,
  type CheckoutView,
  type PaymentHistory,
  type WebhookReceipt,
} from './payments.dto.js';
import {
  PaymentFailed,
  PaymentRefunded,
  PaymentSucceeded,
  RefundRequested,
  type PaymentStatus,
} from './payments.events.js';
import { OPEN_PAYMENT, paymentsRepository, type Payment, type Refund } from './payments.repository.js';

export interface CheckoutRequest {
  tenant: string;
  orderId: string;
  customerId: string;
  amount: number;
  currency: string;
}

/**
 * Payments of a tenant's orders through the configured provider. The orders module drives it from
 * its own transactions (`openCheckout`, `requestRefund`, `expire`); provider webhooks come in through
 * `receiveWebhook`, which records each provider event once and emits `payment.succeeded` /
 * `payment.failed` for the orders module to act on.
 */
@Injectable()
export class PaymentsService {
  constructor(
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
    @Inject(ReadyTenants) private readonly tenants: ReadyTenants,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(ENV) private readonly env: Env,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Opens a checkout for an order now awaiting payment, due to expire after PAYMENT_TTL. */
  async openCheckout(tx: Db, request: CheckoutRequest): Promise<CheckoutView> {
    const id = newId();
    const checkout = this.provider.openCheckout({ paymentId: id, ...request });
    const payment = await paymentsRepository.insert(tx, {
      id,
      orderId: request.orderId,
      customerId: request.customerId,
      provider: this.provider.name,
      providerRef: checkout.providerRef,
      checkoutUrl: checkout.checkoutUrl,
      amount: request.amount,
      currency: request.currency,
      status: 'PENDING',
      expiresAt: fromNow(this.clock, this.env.PAYMENT_TTL),
    });
    await this.record(tx, payment, 'payment.created');
    return checkoutView(payment);
  }

  /**
   * A provider webhook: verified before anything else, then applied in one transaction on the
   * tenant's database. Each provider event id is recorded once (a repeat is acknowledged as a
   * duplicate); a late or contradicting event is recorded as ignored and changes nothing; an amount
   * or currency that does not match the payment is refused with 422 and nothing is written. A verified
   * event that concerns no payment of ours is acknowledged and ignored, so the provider stops sending it.
   */
  async receiveWebhook(
    provider: string,
    rawBody: string,
    headers: Record<string, string | string[] | undefined>,
  ): Promise<WebhookReceipt> {
    if (provider !== this.provider.name) {
      throw new ProblemException(problem(404, `Payments here go through ${this.provider.name}, not ${provider}.`));
    }
    const check = this.provider.verifyWebhook(rawBody, headers);
    if (!check.ok) throw new ProblemException(problem(check.status, `Webhook refused: ${check.reason}.`));
    if (!check.event) return { received: true, duplicate: false, outcome: `ignored: ${check.ignored}` };
    const event = check.event;
    const tenant = await this.tenants.find(event.tenant);
    if (!tenant) throw unknownPayment(event.paymentId);
    return this.unitOfWork.run(tenant.db, async (tx, emit): Promise<WebhookReceipt> => {
      const payment = await paymentsRepository.find(tx, event.paymentId, true);
      if (!payment) throw unknownPayment(event.paymentId);
      assertSameMoney(payment, event);
      const fresh = await paymentsRepository.recordEvent(tx, {
        paymentId: payment.id,
        provider: this.provider.name,
        providerEventId: event.id,
        type: event.type,
        amount: event.amount,
        currency: event.currency,
        outcome: 'received',
      });
      if (!fresh) return { received: true, duplicate: true, outcome: 'duplicate' };
      const outcome = await this.apply(tx, emit, tenant.code, payment, event);
      await paymentsRepository.setEventOutcome(tx, this.provider.name, event.id, outcome);
      return { received: true, duplicate: false, outcome };
    });
  }

  /**
   * Asks for the whole payment back (once per payment). The `refund-processor` consumer calls the
   * provider after this transaction commits, so a rollback never leaves money refunded.
   */
  async requestRefund(tx: Db, emit: Emit, tenant: string, paymentId: string, reason: string): Promise<Refund> {
    const payment = await paymentsRepository.find(tx, paymentId, true);
    if (!payment) throw new Error(`No payment ${paymentId} to refund`);
    if (payment.status !== 'SUCCEEDED' && payment.status !== 'REFUNDED') {
      throw new Error(`Payment ${paymentId} is ${payment.status}: only a succeeded payment can be refunded`);
    }
    const { refund, created } = await paymentsRepository.refundOnce(tx, {
      id: newId(),
      paymentId,
      amount: payment.amount,
      currency: payment.currency,
      reason,
    });
    if (created) {
      await this.record(tx, payment, 'refund.requested');
      await emit(RefundRequested, {
        aggregateId: payment.id,
        tenant,
        payload: { ...moneyOf(payment), refundId: refund.id, reason },
      });
    }
    return refund;
  }

  /** Calls the provider for a requested refund (outside any transaction; idempotent by refund id). */
  refundThroughProvider(refund: Refund, payment: Payment): Promise<{ providerRef: string }> {
    return this.provider.refund({
      refundId: refund.id,
      paymentId: payment.id,
      providerRef: payment.providerRef,
      amount: refund.amount,
      currency: refund.currency,
    });
  }

  /** Records the provider's refund: refund SUCCEEDED, payment REFUNDED, `payment.refunded`. Once. */
  async completeRefund(tx: Db, emit: Emit, tenant: string, refundId: string, providerRef: string): Promise<void> {
    const refund = await paymentsRepository.findRefund(tx, refundId, true);
    if (!refund || refund.status === 'SUCCEEDED') return;
    const payment = (await paymentsRepository.find(tx, refund.paymentId, true))!;
    await paymentsRepository.completeRefund(tx, refund.id, providerRef);
    await paymentsRepository.setStatus(tx, payment.id, 'REFUNDED');
    await this.record(tx, payment, 'payment.refunded');
    await emit(PaymentRefunded, {
      aggregateId: payment.id,
      tenant,
      payload: {
        ...moneyOf(payment),
        refundId: refund.id,
        before: { status: payment.status as PaymentStatus },
        after: { status: 'REFUNDED', reason: refund.reason },
      },
    });
  }

  async findRefund(tx: Db, refundId: string): Promise<{ refund: Refund; payment: Payment } | undefined> {
    const refund = await paymentsRepository.findRefund(tx, refundId);
    const payment = refund && (await paymentsRepository.find(tx, refund.paymentId));
    return refund && payment ? { refund, payment } : undefined;
  }

  /** Closes the order's open checkouts (order expired, or cancelled before payment): they can no longer be paid. */
  async closeOpen(tx: Db, orderId: string, status: 'EXPIRED' | 'CANCELLED'): Promise<void> {
    for (const payment of await paymentsRepository.forOrder(tx, orderId)) {
      if (!OPEN_PAYMENT.includes(payment.status as PaymentStatus)) continue;
      if (await paymentsRepository.closeIfOpen(tx, payment.id, status)) {
        await this.record(tx, payment, `payment.${status.toLowerCase()}`);
      }
    }
  }

  /** The order's payment that succeeded (and is not refunded), if any. */
  async captured(tx: Db, orderId: string): Promise<Payment | undefined> {
    return (await paymentsRepository.forOrder(tx, orderId)).find((payment) => payment.status === 'SUCCEEDED');
  }

  /** The newest checkout of each order, by order id (for order views). */
  async latestCheckouts(tx: Db, orderIds: readonly string[]): Promise<Map<string, CheckoutView>> {
    const latest = new Map<string, CheckoutView>();
    for (const payment of await paymentsRepository.forOrders(tx, orderIds)) {
      if (!latest.has(payment.orderId)) latest.set(payment.orderId, checkoutView(payment));
    }
    return latest;
  }

  /** Every payment of an order with its events and refunds, newest payment first. */
  async history(tx: Db, orderId: string): Promise<PaymentHistory> {
    const rows = await paymentsRepository.forOrder(tx, orderId);
    const ids = rows.map((row) => row.id);
    const [events, refunds] = await Promise.all([
      paymentsRepository.events(tx, ids),
      paymentsRepository.refunds(tx, ids),
    ]);
    return { data: rows.map((row) => paymentHistoryView(row, events, refunds)) };
  }

  /** Orders whose payment time is up (for the expiry job). */
  dueOrderIds(tx: Db, limit: number): Promise<string[]> {
    return paymentsRepository.dueOrderIds(tx, this.clock.now(), limit);
  }

  private async apply(tx: Db, emit: Emit, tenant: string, payment: Payment, event: ProviderEvent): Promise<string> {
    const status = payment.status as PaymentStatus;
    switch (event.type) {
      case 'payment.succeeded':
        return this.succeed(tx, emit, tenant, payment, event);
      case 'payment.failed':
        return this.fail(tx, emit, tenant, payment, event);
      case 'checkout.expired':
        // The provider's checkout can no longer be paid: the order's payment time is up now. The
        // payment-expiry job, the one place orders expire, closes it on its next run.
        if (!OPEN_PAYMENT.includes(status)) return `ignored: payment already ${status}`;
        await paymentsRepository.dueBy(tx, payment.id, this.clock.now());
        return 'applied: due for expiry';
      case 'payment.refunded':
        return this.refundedAtProvider(tx, emit, tenant, payment, event);
    }
  }

  private async succeed(tx: Db, emit: Emit, tenant: string, payment: Payment, event: ProviderEvent) {
    const status = payment.status as PaymentStatus;
    // Money taken counts even after the checkout expired: the orders module refunds what it cannot serve.
    if (status === 'SUCCEEDED' || status === 'REFUNDED') return `ignored: payment already ${status}`;
    // Given back before we heard it was taken (refundedAtProvider): nothing left to pay with.
    const refunds = await paymentsRepository.refunds(tx, [payment.id]);
    if (refunds.some((refund) => refund.status === 'SUCCEEDED')) return 'ignored: the money was already refunded';
    await paymentsRepository.setStatus(tx, payment.id, 'SUCCEEDED');
    await emit(PaymentSucceeded, {
      aggregateId: payment.id,
      tenant,
      payload: { ...moneyOf(payment), providerEventId: event.id, before: { status }, after: { status: 'SUCCEEDED' } },
    });
    return 'applied';
  }

  private async fail(tx: Db, emit: Emit, tenant: string, payment: Payment, event: ProviderEvent) {
    const status = payment.status as PaymentStatus;
    if (status !== 'PENDING') return `ignored: payment already ${status}`;
    const reason = event.reason ?? 'declined';
    await paymentsRepository.setStatus(tx, payment.id, 'FAILED', reason);
    await emit(PaymentFailed, {
      aggregateId: payment.id,
      tenant,
      payload: {
        ...moneyOf(payment),
        providerEventId: event.id,
        before: { status },
        after: { status: 'FAILED', reason },
      },
    });
    return 'applied';
  }

  /**
   * The provider gave the whole payment back: the refund Ordo asked for (if its consumer has not
   * recorded it yet), or one made at the provider (its dashboard). The payment ends REFUNDED with one
   * refund row and one `payment.refunded`.
   *
   * Out of order, before the success it undoes, the payment is still open: it stays open, so the
   * payment-expiry job still expires the order and releases its stock (a REFUNDED payment would leave
   * it awaiting payment for ever), and the refund row makes the late success `ignored`.
   */
  private async refundedAtProvider(tx: Db, emit: Emit, tenant: string, payment: Payment, event: ProviderEvent) {
    if (payment.status === 'REFUNDED') return 'ignored: payment already REFUNDED';
    const { refund } = await paymentsRepository.refundOnce(tx, {
      id: newId(),
      paymentId: payment.id,
      amount: payment.amount,
      currency: payment.currency,
      reason: 'refunded at the provider',
    });
    const providerRef = event.providerRef ?? event.id;
    if (OPEN_PAYMENT.includes(payment.status as PaymentStatus)) {
      await paymentsRepository.completeRefund(tx, refund.id, providerRef);
      return 'applied: refunded before it was confirmed; the order expires unpaid';
    }
    await this.completeRefund(tx, emit, tenant, refund.id, providerRef);
    return 'applied';
  }

  private async record(tx: Db, payment: Payment, type: string): Promise<void> {
    await paymentsRepository.recordEvent(tx, {
      paymentId: payment.id,
      provider: payment.provider,
      providerEventId: null,
      type,
      amount: payment.amount,
      currency: payment.currency,
      outcome: 'applied',
    });
  }
}

function moneyOf(payment: Payment) {
  return {
    paymentId: payment.id,
    orderId: payment.orderId,
    customerId: payment.customerId,
    amount: payment.amount,
    currency: payment.currency,
  };
}

function unknownPayment(id: string): ProblemException {
  return new ProblemException(
    problem(404, `There is no payment ${id}.`, { errors: [{ field: 'data.payment', message: 'unknown payment' }] }),
  );
}

function assertSameMoney(payment: Payment, event: ProviderEvent): void {
  const errors = [
    ...(event.amount !== payment.amount
      ? [{ field: 'data.amount', message: `is ${event.amount}; the payment is for ${payment.amount}` }]
      : []),
    ...(event.currency !== payment.currency
      ? [{ field: 'data.currency', message: `is ${event.currency}; the payment is in ${payment.currency}` }]
      : []),
  ];
  if (errors.length > 0) {
    throw new ProblemException(
      problem(422, 'The webhook does not match the payment; nothing was applied.', { errors }),
    );
  }
}
