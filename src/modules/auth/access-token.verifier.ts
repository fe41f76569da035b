import { Inject, Injectable } from '@nestjs/common';
import type { Actor } from '../../common/request-context.js';
import { AccessTokens } from './access-tokens.js';
import { SessionStatus } from './session-status.js';

/** Who a good token speaks for, and until when (a socket ends then, unless given a fresher token). */
export interface VerifiedToken {
  actor: Actor;
  /** Epoch milliseconds; null for a token without an expiry. */
  expiresAt: number | null;
}

/**
 * The one place an access token is accepted: HTTP guards and websocket handshakes both call it.
 * A token is good when its signature and expiry check out, its session is still active, and its role
 * and tenant are still the account's.
 */
@Injectable()
export class AccessTokenVerifier {
  constructor(
    @Inject(AccessTokens) private readonly tokens: AccessTokens,
    @Inject(SessionStatus) private readonly sessions: SessionStatus,
  ) {}

  async verify(token: string | undefined | null): Promise<Actor | null> {
    return (await this.verifyToken(token))?.actor ?? null;
  }

  async verifyToken(token: string | undefined | null): Promise<VerifiedToken | null> {
    if (!token) return null;
    const claims = await this.tokens.verify(token);
    if (!claims) return null;
    const account = await this.sessions.activeAccount(claims.sid, claims.sub);
    if (!account || account.role !== claims.role || account.tenant !== claims.tenant) return null;
    return {
      actor: { id: claims.sub, role: claims.role, tenant: claims.tenant, sessionId: claims.sid },
      expiresAt: claims.exp === undefined ? null : claims.exp * 1000,
    };
  }
}
