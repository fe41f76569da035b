import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { ENV } from '../../config/config.module.js';
import type { Env } from '../../config/env.schema.js';
import { newId } from '../../common/ids.js';
import { UnitOfWork } from '../../infra/bus/unit-of-work.js';
import { CONTROL_DATABASE, type Db, type SqlDatabase } from '../../infra/database/sql-database.js';
import { userView, type User, type UserView } from '../users/users.repository.js';
import { AccessTokens } from './access-tokens.js';
import { SessionStarted } from './session.events.js';
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

/** Refresh tokens are 256 random bits; only their SHA-256 is stored. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Starts sessions and issues their tokens. */
@Injectable()
export class SessionsService {
  constructor(
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(AccessTokens) private readonly accessTokens: AccessTokens,
    @Inject(ENV) private readonly env: Env,
  ) {}

  /** A new session for a user who just proved who they are. */
  start(user: User, device: Device): Promise<TokenPair> {
    return this.unitOfWork.run(this.control, async (tx, emit) => {
      const sessionId = newId();
      await tx.insert(sessions).values({
        id: sessionId,
        userId: user.id,
        device: device.device,
        ip: device.ip,
        expiresAt: sql`now() + ${this.env.REFRESH_TOKEN_TTL_DAYS}::int * interval '1 day'`,
      });
      await emit(SessionStarted, { aggregateId: sessionId, payload: { userId: user.id, after: device } });
      return this.issue(tx, user, sessionId);
    });
  }

  /** A fresh access token and refresh token for a session, inside the caller's transaction. */
  async issue(tx: Db, user: User, sessionId: string): Promise<TokenPair> {
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
}
