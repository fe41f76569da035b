import { Inject, Injectable } from '@nestjs/common';
import { Consumer, type HandlerContext, type MessageHandler } from '../../infra/bus/consumer.js';
import type { Envelope } from '../../infra/bus/envelope.js';
import { PermanentFailure } from '../../infra/bus/permanent-failure.js';
import { TENANT_DATABASES, type TenantDatabases } from '../../infra/database/tenant-databases.port.js';
import { RefundRequested, type RefundRequestedPayload } from './payments.events.js';
import { PaymentsService } from './payments.service.js';

export const REFUND_PROCESSOR = 'refund-processor';

/**
 * Carries out a requested refund: the provider is called in `prepare()`, outside the transaction
 * (a network call must not hold a database transaction open), idempotently by refund id, so a retry
 * after a crash asks again and gets the same refund. `handle()` then records it: refund SUCCEEDED,
 * payment REFUNDED, `payment.refunded`. A provider error goes through the retry tiers.
 */
@Injectable()
@Consumer({ name: REFUND_PROCESSOR, events: [RefundRequested], scope: 'tenant' })
export class RefundProcessor implements MessageHandler<RefundRequestedPayload, { providerRef: string } | null> {
  constructor(
    @Inject(PaymentsService) private readonly payments: PaymentsService,
    @Inject(TENANT_DATABASES) private readonly databases: TenantDatabases,
  ) {}

  async prepare({ refundId }: RefundRequestedPayload, envelope: Envelope) {
    if (!envelope.tenant) throw new PermanentFailure('refund.requested without a tenant');
    // Not ReadyTenants: a refund must go out even if the tenant was suspended since (its database still is).
    const db = await this.databases.forTenant(envelope.tenant);
    const found = await db.transaction((tx) => this.payments.findRefund(tx, refundId));
    if (!found) throw new PermanentFailure(`refund ${refundId} does not exist`);
    if (found.refund.status === 'SUCCEEDED') return null;
    return this.payments.refundThroughProvider(found.refund, found.payment);
  }

  async handle(
    { refundId }: RefundRequestedPayload,
    { tx, emit, envelope, prepared }: HandlerContext<{ providerRef: string } | null>,
  ) {
    if (!prepared) return;
    await this.payments.completeRefund(tx, emit, envelope.tenant!, refundId, prepared.providerRef);
  }
}
