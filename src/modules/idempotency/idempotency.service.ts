import { CLOCK, fromNow, type Clock } from '../../common/clock.js';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import { newId } from '../../common/ids.js';
import { problem } from '../../common/http/problem.js';
import { ProblemException } from '../../common/http/problem-exception.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { idempotencyKeys } from './idempotency.tables.js';

/** Keys live this long; after that the same key starts a new request. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** How long a request waits for a concurrent one with the same key to finish (mode `wait`). */
const WAIT_MS = 10_000;
export const IDEMPOTENCY_HEADER = 'idempotency-key';
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface StoredResponse {
  status: number;
  body: unknown;
}

export interface IdempotentRequest {
  userId: string;
  /** The operation (method and path): a key is only meaningful within it. */
  scope: string;
  /** The header value, or undefined when the client sent none. */
  key: string | undefined;
  /** The validated request: its canonical JSON is hashed. */
  body: unknown;
  /**
   * What to do when another attempt holds the key and has not finished:
   * - `execute`: run again with the same resource id — for work that is itself idempotent on that id
   *   (creating an order whose id is the resource id). Also recovers a key left by a crashed attempt.
   * - `wait`: wait for the first attempt's response (up to 10 s), else 409.
   */
  concurrent: 'execute' | 'wait';
}

/** Validates the `Idempotency-Key` header: printable ASCII, 1–255 characters. */
export function idempotencyKeyOf(header: unknown): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !KEY_PATTERN.test(header)) {
    throw ProblemException.validation([
      { field: 'Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters' },
    ]);
  }
  return header;
}

/** JSON with object keys sorted, so the same body always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, inner]) => inner !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonical(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * `Idempotency-Key` for unsafe operations (DESIGN §7): the first request with a key claims it with a
 * unique insert of (user, scope, key) and a freshly allocated resource id; its response is stored. A
 * later request with the same key and the same body gets the stored response (same status, same body);
 * with a different body, 422. The key row lives in the control database while the work happens in a
 * tenant database, so the two cannot share a transaction: instead the resource id is fixed by the key
 * row, and the work is written to be idempotent on it (see `concurrent`).
 */
/** The row of one user's key in one scope. */
function sameKey(userId: string, scope: string, key: string) {
  return and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key));
}

@Injectable()
export class IdempotencyService {
  constructor(
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async run(
    request: IdempotentRequest,
    execute: (resourceId: string) => Promise<StoredResponse>,
  ): Promise<StoredResponse> {
    if (request.key === undefined) return execute(newId());
    const { userId, scope, key } = request;
    const requestHash = createHash('sha256').update(canonical(request.body)).digest('hex');
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const claimed = await this.control.transaction(async (tx) => {
        // An expired key is forgotten: the same key now starts a new request.
        await tx
          .delete(idempotencyKeys)
          .where(
            and(sameKey(userId, scope, key), lt(idempotencyKeys.createdAt, fromNow(this.clock, -IDEMPOTENCY_TTL_MS))),
          );
        const [inserted] = await tx
          .insert(idempotencyKeys)
          .values({ userId, scope, key, requestHash, resourceId: newId() })
          .onConflictDoNothing()
          .returning();
        if (inserted) return { row: inserted, mine: true };
        const [existing] = await tx
          .select()
          .from(idempotencyKeys)
          .where(sameKey(userId, scope, key));
        return { row: existing, mine: false };
      });
      const row = claimed.row;
      if (!row) continue; // deleted between our insert and select (expired): claim again
      if (row.requestHash !== requestHash) {
        throw new ProblemException(
          problem(422, `Idempotency-Key "${key}" was already used with a different request body.`, {
            errors: [{ field: 'Idempotency-Key', message: 'reused with a different body' }],
          }),
        );
      }
      if (row.responseStatus !== null) return { status: row.responseStatus, body: row.responseBody };
      if (claimed.mine || request.concurrent === 'execute') {
        let response: StoredResponse;
        try {
          response = await execute(row.resourceId);
        } catch (error) {
          // Nothing to replay: let the client try again with the same key.
          if (claimed.mine) await this.forget(userId, scope, key);
          throw error;
        }
        await this.control.transaction((tx) =>
          tx
            .update(idempotencyKeys)
            .set({ responseStatus: response.status, responseBody: response.body })
            .where(and(sameKey(userId, scope, key), isNull(idempotencyKeys.responseStatus))),
        );
        return response;
      }
      if (Date.now() > deadline) {
        throw new ProblemException(
          problem(409, `A request with Idempotency-Key "${key}" is still in progress; retry shortly.`),
        );
      }
      await sleep(50);
    }
  }

  /** Drops keys older than 24 h (they are ignored anyway); returns how many. */
  async purgeExpired(): Promise<number> {
    const removed = await this.control.transaction((tx) =>
      tx
        .delete(idempotencyKeys)
        .where(lt(idempotencyKeys.createdAt, sql`now() - interval '24 hours'`))
        .returning({ key: idempotencyKeys.key }),
    );
    return removed.length;
  }

  private async forget(userId: string, scope: string, key: string): Promise<void> {
    await this.control.transaction((tx) =>
      tx.delete(idempotencyKeys).where(and(sameKey(userId, scope, key), isNull(idempotencyKeys.responseStatus))),
    );
  }
}
