import {
  applyDecorators,
  Inject,
  Injectable,
  SetMetadata,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ENV } from '../../config/config.module.js';
import type { Env } from '../../config/env.schema.js';
import { problemSchema } from '../../common/http/openapi.js';
import { PROBLEM_CONTENT_TYPE } from '../../common/http/problem.js';
import { clientNetwork } from '../../common/http/client-network.js';
import { retryAfterSeconds, tooManyRequests } from '../../common/http/too-many-requests.js';
import { CACHE, type CachePort } from '../../infra/cache/cache.port.js';
import { hashRefreshToken } from './sessions.service.js';

/** The sign-in routes that are limited, each with its own counters. */
export type RateLimitedRoute = 'login' | 'register' | 'refresh';

export interface RateLimitDecision {
  allowed: boolean;
  /** Whole seconds until a refused caller may try again (0 when allowed). */
  retryAfterSeconds: number;
}

/**
 * Counts attempts on the sign-in routes through the cache port, so every API process sharing Redis
 * shares the counters, AUTH_RATE_LIMIT per AUTH_RATE_LIMIT_WINDOW_MS (fixed window) in each:
 *
 * - every attempt, per route and client network (an IPv4 address, an IPv6 /64: see clientNetwork),
 *   `auth:ip:<route>:<network>` — floods, and password spraying across accounts from one place;
 * - login: failed attempts only, per account *and* client network, `auth:fail:<account>:<network>`,
 *   forgotten on a successful login. Guessing one account's password from one place stops at the
 *   limit, yet nobody can lock the real user out by failing on purpose: the user's own network has a
 *   counter of its own. (A counter per account alone would hand that lockout to anyone who knows an email.)
 * - refresh: every attempt per token (a prefix of its hash), `auth:acct:refresh:<hash>`; only its
 *   holder can hit that counter.
 *
 * Register has no per-account counter: the account does not exist yet, and a counter per email would
 * let anyone keep a person from signing up. With the cache down, attempts are allowed (the port fails open).
 */
@Injectable()
export class AuthRateLimiter {
  constructor(
    @Inject(CACHE) private readonly cache: CachePort,
    @Inject(ENV) private readonly env: Env,
  ) {}

  /** Counts this attempt and says whether it may go on (checked before the body is even validated). */
  async check(route: RateLimitedRoute, ip: string | null, account: string | null): Promise<RateLimitDecision> {
    const network = clientNetwork(ip);
    const waits = await Promise.all([
      this.count(`auth:ip:${route}:${network}`),
      route === 'refresh' && account ? this.count(`auth:acct:refresh:${account}`) : 0,
      route === 'login' && account ? this.lockedFor(account, network) : 0,
    ]);
    const waitMs = Math.max(...waits);
    return waitMs > 0 ? { allowed: false, retryAfterSeconds: retryAfterSeconds(waitMs) } : ALLOWED;
  }

  /** A login that failed (unknown email, wrong password, inactive account): counts against its account here. */
  async loginFailed(email: string, ip: string | null): Promise<void> {
    const key = failureKey(loginAccount(email), clientNetwork(ip));
    const { count, retryAfterMs } = await this.cache.hit(
      key,
      this.env.AUTH_RATE_LIMIT,
      this.env.AUTH_RATE_LIMIT_WINDOW_MS,
    );
    // The limit is reached: refuse the next attempts before their password is even hashed, until the window ends.
    if (count >= this.env.AUTH_RATE_LIMIT) {
      await this.cache.set<Lockout>(`${key}:locked`, { until: Date.now() + retryAfterMs }, { ttlMs: retryAfterMs });
    }
  }

  /** A login that succeeded: the failures before it, from this network, are forgotten. */
  async loginSucceeded(email: string, ip: string | null): Promise<void> {
    const key = failureKey(loginAccount(email), clientNetwork(ip));
    await Promise.all([this.cache.resetHits(key), this.cache.delete(`${key}:locked`)]);
  }

  /** Milliseconds until the window resets when this attempt is over the limit, else 0. */
  private async count(key: string): Promise<number> {
    const result = await this.cache.hit(key, this.env.AUTH_RATE_LIMIT, this.env.AUTH_RATE_LIMIT_WINDOW_MS);
    return result.allowed ? 0 : result.retryAfterMs;
  }

  private async lockedFor(account: string, network: string): Promise<number> {
    const lockout = await this.cache.get<Lockout>(`${failureKey(account, network)}:locked`);
    return lockout ? Math.max(0, lockout.until - Date.now()) : 0;
  }
}

interface Lockout {
  /** Epoch milliseconds when the account may be tried again from this network. */
  until: number;
}

const ALLOWED: RateLimitDecision = { allowed: true, retryAfterSeconds: 0 };

const failureKey = (account: string, network: string) => `auth:fail:${account}:${network}`;

/** The account a login counts against: its email, compared as the accounts compare them (case-insensitive). */
export function loginAccount(email: string): string {
  return email.trim().toLowerCase().slice(0, 254);
}

/** The account an attempt is counted against, read from the raw (not yet validated) body. */
export function rateLimitAccount(route: RateLimitedRoute, body: unknown): string | null {
  const field = (name: string): string | null => {
    if (typeof body !== 'object' || body === null) return null;
    const value = (body as Record<string, unknown>)[name];
    return typeof value === 'string' && value.trim() !== '' ? value : null;
  };
  switch (route) {
    case 'login': {
      const email = field('email');
      return email ? loginAccount(email) : null;
    }
    case 'register':
      return null;
    case 'refresh': {
      // A prefix of the token's SHA-256: limits hammering one token without storing it.
      const token = field('refresh_token');
      return token ? hashRefreshToken(token).slice(0, 32) : null;
    }
  }
}

const RATE_LIMIT_METADATA = 'ordo:auth-rate-limit';

/**
 * Runs as a route guard, so it counts before the body is validated and before any password is
 * hashed: a flood is refused at the price of two cache round trips per request.
 */
@Injectable()
export class AuthRateLimitGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AuthRateLimiter) private readonly limiter: AuthRateLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const route = this.reflector.get<RateLimitedRoute | undefined>(RATE_LIMIT_METADATA, context.getHandler());
    if (!route || context.getType() !== 'http') return true;
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const decision = await this.limiter.check(route, request.ip ?? null, rateLimitAccount(route, request.body));
    if (decision.allowed) return true;
    throw tooManyRequests(http.getResponse<FastifyReply>(), decision.retryAfterSeconds, `${route} attempts`);
  }
}

/** Limits this route per client network and, where it has one, per account (see AuthRateLimiter); documents the 429. */
export const RateLimited = (route: RateLimitedRoute) =>
  applyDecorators(
    SetMetadata(RATE_LIMIT_METADATA, route),
    UseGuards(AuthRateLimitGuard),
    ApiResponse({
      status: 429,
      description:
        'Too many attempts from this network, or failed sign-ins to this account from it, within the window ' +
        '(AUTH_RATE_LIMIT per AUTH_RATE_LIMIT_WINDOW_MS)',
      headers: { 'Retry-After': { description: 'Seconds until the window resets', schema: { type: 'integer' } } },
      content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
    }),
  );
