import { sql } from 'drizzle-orm';
import { newId } from '../../common/ids.js';
import { currentContext } from '../../common/request-context.js';
import type { Db } from '../database/sql-database.js';
import type { Envelope, EnvelopeMeta, EventDefinition } from './envelope.js';
import { outbox } from './messaging.shared-tables.js';

export interface OutboxEvent<Payload> {
  aggregateId: string;
  payload: Payload;
  /** The tenant whose data the event is about; null for platform events. */
  tenant?: string | null;
  traceparent?: string;
  /** Defaults to the actor, IP and request id of the request or message being handled. */
  meta?: EnvelopeMeta;
}

function metaFromContext(): EnvelopeMeta | undefined {
  const { actor, ip, requestId } = currentContext();
  if (!actor && !ip && !requestId) return undefined;
  return { actorId: actor?.id ?? null, actorRole: actor?.role ?? null, ip: ip ?? null, requestId: requestId ?? null };
}

/**
 * Event metadata naming `actor` as the actor, for events of public routes (sign-up, sign-in, refresh)
 * where the request has no signed-in actor yet; IP and request id come from the request.
 */
export function actingAs(actor: { id: string; role: string }): EnvelopeMeta {
  const { ip, requestId } = currentContext();
  return { actorId: actor.id, actorRole: actor.role, ip: ip ?? null, requestId: requestId ?? null };
}

/**
 * Writes an event into the outbox of the database `tx` belongs to, as part of that transaction.
 * Validates the payload now, so a producer bug fails the state change instead of poisoning consumers.
 */
export async function writeToOutbox<Payload>(
  tx: Db,
  definition: EventDefinition<Payload>,
  event: OutboxEvent<Payload>,
): Promise<Envelope<Payload>> {
  const envelope = outboxEnvelope(definition, event);
  await insertIntoOutbox(tx, [envelope]);
  return envelope;
}

/** The envelope an event will travel in, its payload validated (a producer bug throws here). */
export function outboxEnvelope<Payload>(definition: EventDefinition<Payload>, event: OutboxEvent<Payload>) {
  const payload = definition.schema.parse(event.payload);
  const envelope: Envelope<Payload> = {
    id: newId(),
    type: definition.type,
    tenant: event.tenant ?? null,
    aggregateId: event.aggregateId,
    occurredAt: new Date().toISOString(),
    attempt: 1,
    traceparent: event.traceparent,
    meta: event.meta ?? metaFromContext(),
    payload,
  };
  return envelope;
}

/** Outbox rows for these envelopes, in one statement. */
export async function insertIntoOutbox(tx: Db, envelopes: Envelope[]): Promise<void> {
  if (envelopes.length === 0) return;
  await tx.insert(outbox).values(
    envelopes.map((envelope) => ({
      id: envelope.id,
      type: envelope.type,
      tenant: envelope.tenant,
      aggregateId: envelope.aggregateId,
      payload: envelope.payload,
      traceparent: envelope.traceparent ?? null,
      meta: envelope.meta ?? null,
      occurredAt: sql`${envelope.occurredAt}::timestamptz`,
    })),
  );
}
