/** Key names that may hold a credential or a digest of one: never written to the audit trail. */
const SECRET_KEY = /password|passwd|token|secret|hash/i;

/**
 * What an audit entry stores about a change: `{ before, after }` when the event carries them, else
 * the event's payload. Keys that look like credentials are dropped at every depth — events should
 * never carry them in the first place; this is defence in depth.
 */
export function auditSummary(payload: unknown): unknown {
  const summary =
    isRecord(payload) && ('before' in payload || 'after' in payload)
      ? { before: payload.before ?? null, after: payload.after ?? null }
      : (payload ?? {});
  return withoutSecrets(summary);
}

export function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !SECRET_KEY.test(key))
      .map(([key, inner]) => [key, withoutSecrets(inner)]),
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}
