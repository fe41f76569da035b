import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { and, count, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { ENV } from '../../config/config.module.js';
import type { Env } from '../../config/env.schema.js';
import { newId } from '../../common/ids.js';
import { actingAs } from '../../infra/bus/outbox.js';
import { UnitOfWork, type Emit } from '../../infra/bus/unit-of-work.js';
import { CONTROL_DATABASE, type Db, type SqlDatabase } from '../../infra/database/sql-database.js';
import { LOGGER } from '../../infra/logging/logger.js';
import { userView, type Account, type UserView } from '../users/account.js';
import { Accounts } from '../users/accounts.js';
import { AccessTokens } from './access-tokens.js';
import type { SessionView } from './auth.dto.js';
import { SessionRefreshed, SessionRevoked, SessionStarted } from './session.events.js';
import { SessionEndings, type SessionEnding } from './session-endings.js';
import { SessionStatus } from './session-status.js';
import { refreshTokens, sessions } from './sessions.tables.js';

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  /** Seconds until the access token expires. */
  expires_in: number;
  user: UserView;
}

export interface Device {
  device: string | null;
  ip: string | null;
}

/** What presenting a refresh token led to. */
export type RefreshOutcome =
  | { kind: 'rotated'; tokens: TokenPair }
  /** No such token. */
  | { kind: 'unknown' }
  /** The token was already used: its session is now revoked. */
  | { kind: 'reused'; sessionId: string }
  /** The session is revoked or expired, or its user is no longer active. */
  | { kind: 'inactive' };

export const REUSE_REASON = 'refresh token reuse';

/** Refresh tokens are 256 random bits; only their SHA-256 is stored. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

const iso = (value: Date | string) => new Date(value).toISOString();

/**
 * Sessions: starting them, rotating their refresh tokens, listing and revoking them.
 *
 * Revocation is immediate: every request checks its session through SessionStatus (cached briefly),
 * and each revocation here invalidates that cached answer in every process sharing the cache, so a
 * revoked session's access token is refused on its very next request, not when it expires; its open
 * sockets are dropped at once (SessionEndings).
 */
@Injectable()
export class SessionsService {
  constructor(
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(AccessTokens) private readonly accessTokens: AccessTokens,
    @Inject(SessionStatus) private readonly status: SessionStatus,
    @Inject(SessionEndings) private readonly endings: SessionEndings,
    @Inject(Accounts) private readonly accounts: Accounts,
    @Inject(ENV) private readonly env: Env,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** A new session for a user who just proved who they are. */
  start(user: Account, device: Device): Promise<TokenPair> {
    return this.unitOfWork.run(this.control, (tx, emit) => this.open(tx, emit, user, device));
  }

  /** Starts a session inside the caller's unit of work (sign-up creates the user and its session together). */
  async open(tx: Db, emit: Emit, user: Account, device: Device): Promise<TokenPair> {
    const sessionId = newId();
    await tx.insert(sessions).values({
      id: sessionId,
      userId: user.id,
      device: device.device,
      ip: device.ip,
      expiresAt: sql`now() + ${this.env.REFRESH_TOKEN_TTL_DAYS}::int * interval '1 day'`,
    });
    await emit(SessionStarted, {
      aggregateId: sessionId,
      payload: { userId: user.id, after: device },
      meta: actingAs(user),
    });
    return this.issue(tx, user, sessionId);
  }

  /** A fresh access token and refresh token for a session, inside the caller's transaction. */
  async issue(tx: Db, user: Account, sessionId: string): Promise<TokenPair> {
    const refresh = newRefreshToken();
    await tx.insert(refreshTokens).values({ tokenHash: refresh.hash, sessionId });
    const access = await this.accessTokens.sign({
      sub: user.id,
      role: user.role,
      tenant: user.tenantCode,
      sid: sessionId,
    });
    return {
      access_token: access,
      refresh_token: refresh.token,
      token_type: 'Bearer',
      expires_in: this.accessTokens.ttlSeconds,
      user: userView(user),
    };
  }

  /**
   * Rotates a refresh token: a token is good once. The token's row and its session's row are locked
   * (`for update`) for the whole check-and-rotate, so of two concurrent refreshes with one token the
   * second waits, then sees the token rotated and is treated as reuse. Reuse revokes the session (in
   * a transaction of its own, committed although the caller answers 401): whoever holds the newest
   * pair of that session, legitimate or not, is cut off and must sign in again.
   */
  async refresh(token: string): Promise<RefreshOutcome> {
    const hash = hashRefreshToken(token);
    const outcome = await this.unitOfWork.run(this.control, async (tx, emit): Promise<RefreshOutcome> => {
      const [row] = await tx
        .select({
          sessionId: sessions.id,
          userId: sessions.userId,
          rotatedAt: refreshTokens.rotatedAt,
          live: sql<boolean>`(${sessions.revokedAt} is null and ${sessions.expiresAt} > now())`,
        })
        .from(refreshTokens)
        .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
        .where(eq(refreshTokens.tokenHash, hash))
        .for('update');
      if (!row) return { kind: 'unknown' };
      if (row.rotatedAt !== null) return { kind: 'reused', sessionId: row.sessionId };
      if (!row.live) return { kind: 'inactive' };
      const user = await this.accounts.findById(row.userId, tx);
      if (!user || user.status !== 'ACTIVE') return { kind: 'inactive' };

      // Conditional as well as locked: the token is rotated once, whatever the isolation level.
      const rotated = await tx
        .update(refreshTokens)
        .set({ rotatedAt: sql`now()` })
        .where(and(eq(refreshTokens.tokenHash, hash), isNull(refreshTokens.rotatedAt)))
        .returning({ tokenHash: refreshTokens.tokenHash });
      if (rotated.length !== 1) return { kind: 'reused', sessionId: row.sessionId };
      await tx
        .update(sessions)
        .set({ lastUsedAt: sql`now()` })
        .where(eq(sessions.id, row.sessionId));
      await emit(SessionRefreshed, { aggregateId: row.sessionId, payload: { userId: user.id }, meta: actingAs(user) });
      return { kind: 'rotated', tokens: await this.issue(tx, user, row.sessionId) };
    });
    if (outcome.kind === 'reused') {
      this.log.warn(
        { sessionId: outcome.sessionId },
        'a rotated refresh token was presented again: revoking its session',
      );
      await this.revoke(outcome.sessionId, REUSE_REASON);
    }
    return outcome;
  }

  /**
   * Revokes a session, when `ownerId` is given only one of that user's. Returns false when there is
   * no such session (of that owner); revoking a revoked session changes nothing and returns true.
   * The session's access tokens are refused from the next request on (see the class comment).
   */
  async revoke(sessionId: string, reason: string, ownerId?: string): Promise<boolean> {
    const found = await this.unitOfWork.run(this.control, async (tx, emit) => {
      const owned = ownerId === undefined ? undefined : eq(sessions.userId, ownerId);
      const [session] = await tx
        .select({ userId: sessions.userId, revokedAt: sessions.revokedAt })
        .from(sessions)
        .where(and(eq(sessions.id, sessionId), owned))
        .for('update');
      if (!session) return false;
      if (session.revokedAt !== null) return true;
      await tx
        .update(sessions)
        .set({ revokedAt: sql`now()`, revokedReason: reason })
        .where(eq(sessions.id, sessionId));
      await emit(SessionRevoked, {
        aggregateId: sessionId,
        payload: { userId: session.userId, reason, after: { revoked: true, reason } },
      });
      await this.status.revoking([sessionId]);
      return true;
    });
    // After the commit: a process re-checking now must see the revocation.
    if (found) await this.ended({ sessionId }, () => this.status.forget([sessionId]));
    return found;
  }

  /**
   * Call after the commit of a change to what a user's tokens may say or whether they may act at all
   * (disabled, deleted, role or tenant changed): every process re-checks their sessions on the next
   * request, and their open sockets are dropped.
   */
  userChanged(userId: string): Promise<void> {
    return this.ended({ userId }, () => this.status.forgetUser(userId));
  }

  /**
   * Forgets the cached session checks first, so a socket reconnecting at once is refused, then
   * announces the end; announced even if the cache failed, since the change has committed.
   */
  private async ended(ending: SessionEnding, forgetCachedChecks: () => Promise<void>): Promise<void> {
    try {
      await forgetCachedChecks();
    } finally {
      this.endings.announce(ending);
    }
  }

  /**
   * Revokes every live session of a user in the caller's transaction (the users module calls it when
   * an account is disabled, deleted or changes role or tenant), so their refresh tokens stop working
   * and new sign-ins carry what changed. Returns how many it revoked. Throws (aborting the caller's
   * transaction) when the cache cannot record it; the caller drops the cached session checks again
   * after its commit (`SessionStatus.forgetUser`).
   */
  async revokeAllOf(tx: Db, userId: string, reason: string): Promise<number> {
    const revoked = await tx
      .update(sessions)
      .set({ revokedAt: sql`now()`, revokedReason: reason })
      .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)))
      .returning({ id: sessions.id });
    await this.status.revokingAllOf(userId);
    return revoked.length;
  }

  /** A user's active sessions (neither revoked nor expired), newest first. */
  async list(
    userId: string,
    currentSessionId: string | undefined,
    limit: number,
    offset: number,
  ): Promise<{ rows: SessionView[]; total: number }> {
    const active = and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, sql`now()`));
    const { rows, total } = await this.control.transaction(async (tx) => {
      const page = await tx
        .select()
        .from(sessions)
        .where(active)
        .orderBy(desc(sessions.createdAt), desc(sessions.id))
        .limit(limit)
        .offset(offset);
      const [counted] = await tx.select({ total: count() }).from(sessions).where(active);
      return { rows: page, total: Number(counted?.total ?? 0) };
    });
    return {
      total,
      rows: rows.map((session) => ({
        id: session.id,
        device: session.device,
        ip: session.ip,
        createdAt: iso(session.createdAt),
        lastUsedAt: iso(session.lastUsedAt),
        current: session.id === currentSessionId,
        revokedAt: session.revokedAt ? iso(session.revokedAt) : null,
      })),
    };
  }
}
