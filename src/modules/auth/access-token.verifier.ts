import { Inject, Injectable } from '@nestjs/common';
import type { Actor } from '../../common/request-context.js';
import { AccessTokens } from './access-tokens.js';
import { SessionStatus } from './session-status.js';

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
    if (!token) return null;
    const claims = await this.tokens.verify(token);
    if (!claims) return null;
    const account = await this.sessions.activeAccount(claims.sid, claims.sub);
    if (!account || account.role !== claims.role || account.tenant !== claims.tenant) return null;
    return { id: claims.sub, role: claims.role, tenant: claims.tenant, sessionId: claims.sid };
  }
}
