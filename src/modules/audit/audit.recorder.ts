import { Injectable } from '@nestjs/common';
import { Consumer, type HandlerContext, type MessageHandler } from '../../infra/bus/consumer.js';
import type { Envelope } from '../../infra/bus/envelope.js';
import { auditSummary } from './audit-summary.js';
import { auditLog } from './audit.tables.js';

/** The role recorded for work nobody asked for through a request or a message: start-up tasks, jobs. */
export const SYSTEM_ROLE = 'SYSTEM';

/**
 * Writes one audit entry per domain event, whatever its type, asynchronously: the request that
 * caused the event never waits for the audit trail. The entry's id is the event's id, so a
 * redelivered event cannot add a second entry (the inbox dedupes too; `on conflict do nothing`
 * keeps that true even for an event replayed after its inbox mark expired).
 */
@Injectable()
@Consumer({ name: 'audit-recorder', events: 'all', scope: 'control', batch: 64 })
export class AuditRecorder implements MessageHandler {
  async handle(payload: unknown, context: HandlerContext): Promise<void> {
    await this.handleBatch([context], [payload]);
  }

  /** A batch's entries in one insert. */
  async handleBatch(contexts: HandlerContext[], payloads: unknown[]): Promise<void> {
    if (contexts.length === 0) return;
    await contexts[0]!.tx
      .insert(auditLog)
      .values(contexts.map(({ envelope }, index) => auditEntry(envelope, payloads[index])))
      .onConflictDoNothing({ target: auditLog.id });
  }
}

export function auditEntry(envelope: Envelope, payload: unknown): typeof auditLog.$inferInsert {
  const meta = envelope.meta;
  const [entity = envelope.type] = envelope.type.split('.');
  return {
    id: envelope.id,
    occurredAt: new Date(envelope.occurredAt),
    actorId: meta?.actorId ?? null,
    actorRole: meta?.actorRole ?? (meta?.requestId || meta?.ip ? null : SYSTEM_ROLE),
    action: envelope.type,
    entity,
    entityId: envelope.aggregateId,
    tenant: envelope.tenant,
    ip: meta?.ip ?? null,
    requestId: meta?.requestId ?? null,
    summary: auditSummary(payload),
  };
}
