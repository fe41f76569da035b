import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { jwtVerify, SignJWT, errors as joseErrors } from 'jose';
import type { Logger } from 'pino';
import { ENV } from '../../config/config.module.js';
import type { Env } from '../../config/env.schema.js';
import { signingSecret } from '../../config/signing-secret.js';
import { ROLES, type Role } from '../../common/auth/roles.js';
import { LOGGER } from '../../infra/logging/logger.js';

/** What an access token says: who, in which role (and tenant, for a merchant), through which session. */
export interface AccessClaims {
  sub: string;
  role: Role;
  tenant: string | null;
  sid: string;
}

/** Verified claims, with when the token stops being good. */
export interface VerifiedClaims extends AccessClaims {
  /** The token's `exp`, in seconds since the epoch; undefined if it carries none. */
  exp: number | undefined;
}

const ISSUER = 'ordo';
const AUDIENCE = 'ordo-api';
/**
 * Claims a token must carry besides iss and aud (which `issuer` and `audience` already require): a token
 * signed with the real key but without `exp` would never expire, one without `iat` has no age to judge.
 */
const REQUIRED_CLAIMS = ['exp', 'iat', 'sub', 'sid'];

/** Signs and checks short-lived access JWTs (HS256). */
@Injectable()
export class AccessTokens implements OnModuleInit {
  private readonly key: Uint8Array;
  private readonly secretSource: string;
  readonly ttlSeconds: number;

  constructor(
    @Inject(ENV) env: Env,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    const { secret, source } = signingSecret(env);
    this.key = new TextEncoder().encode(secret);
    this.secretSource = source;
    this.ttlSeconds = env.ACCESS_TOKEN_TTL_SECONDS;
  }

  onModuleInit(): void {
    if (this.secretSource !== 'JWT_SECRET') this.log.warn(`JWT_SECRET is not set: signing with ${this.secretSource}`);
  }

  sign(claims: AccessClaims): Promise<string> {
    return new SignJWT({ role: claims.role, tenant: claims.tenant, sid: claims.sid })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
  }

  /** The token's claims, or null when it is malformed, forged, expired, lacks a required claim or is not ours. */
  async verify(token: string): Promise<VerifiedClaims | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        requiredClaims: REQUIRED_CLAIMS,
        // Ours never outlive their lifetime, and an `iat` in the future is not one this server issued.
        maxTokenAge: `${this.ttlSeconds}s`,
      });
      const role = payload.role as Role;
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || !ROLES.includes(role)) return null;
      const tenant = typeof payload.tenant === 'string' ? payload.tenant : null;
      return { sub: payload.sub, role, tenant, sid: payload.sid, exp: payload.exp };
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) return null;
      throw error;
    }
  }
}
