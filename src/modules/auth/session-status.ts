import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { sessionTag, userSessionsTag } from '../../common/auth/session-tags.js';
import { CACHE, type CachePort } from '../../infra/cache/cache.port.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { Accounts } from '../users/accounts.js';

/** How long a process may trust a "still active" answer before asking the database again. */
const ACTIVE_TTL_MS = 30_000;

/**
 * Is a session still good (not revoked, not expired, its user active)? Checked on every request, so a
 * revoked session's access tokens stop working immediately: the answer is cached briefly, and revoking
 * invalidates that cache entry through its tag in every process sharing the cache.
 *
 * A revocation the cache cannot record is not made (`revoking…`, inside the revoking transaction):
 * while Redis refuses writes, a revoked session's cached "active" answer would otherwise stay valid in
 * every process for up to ACTIVE_TTL_MS. The caller gets a 503 and can try again.
 */
@Injectable()
export class SessionStatus {
  constructor(
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(CACHE) private readonly cache: CachePort,
    @Inject(Accounts) private readonly accounts: Accounts,
  ) {}

  /**
   * The role and tenant the user holds right now if the session is active, else null. The verifier
   * compares them with the token's claims, so a token is only as good as the account behind it: a
   * re-signed token claiming another role (or tenant) is refused even if its signature checks out.
   */
  activeAccount(sessionId: string, userId: string): Promise<{ role: string; tenant: string | null } | null> {
    const tags = [sessionTag(sessionId), userSessionsTag(userId)];
    // Keyed by user too: the answer is about this user's session, and a token naming another user with
    // one's own session id must not find it.
    return this.cache.wrap(`session-account:${sessionId}:${userId}`, { ttlMs: ACTIVE_TTL_MS, tags }, async () => {
      const [live] = await this.control.query(
        sql`select 1 from sessions
            where id = ${sessionId} and user_id = ${userId} and revoked_at is null and expires_at > now()`,
      );
      if (!live) return null;
      const account = await this.accounts.findById(userId);
      return account?.status === 'ACTIVE' ? { role: account.role, tenant: account.tenantCode } : null;
    });
  }

  /**
   * Call inside the transaction revoking these sessions, before it commits: throws `CacheUnavailableError`
   * (so the revocation rolls back) when the cache cannot record it.
   */
  revoking(sessionIds: string[]): Promise<void> {
    return this.cache.invalidateTagsOrThrow(sessionIds.map(sessionTag));
  }

  /** The same for every session of a user (disabled, deleted, role or tenant changed). */
  revokingAllOf(userId: string): Promise<void> {
    return this.cache.invalidateTagsOrThrow([userSessionsTag(userId)]);
  }

  /** Call after revoking these sessions (again after the commit, for processes that read it meanwhile). */
  forget(sessionIds: string[]): Promise<void> {
    return this.cache.invalidateTags(sessionIds.map(sessionTag));
  }

  /** Call after disabling or deleting a user, or changing their role or tenant. */
  forgetUser(userId: string): Promise<void> {
    return this.cache.invalidateTags([userSessionsTag(userId)]);
  }
}
