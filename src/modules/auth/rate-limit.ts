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
import { problem, PROBLEM_CONTENT_TYPE } from '../../common/http/problem.js';
import { ProblemException } from '../../common/http/problem-exception.js';
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
 * shares the counters: AUTH_RATE_LIMIT attempts per AUTH_RATE_LIMIT_WINDOW_MS (fixed window) per
 * client IP (`auth:ip:<route>:<ip>`) and per account (`auth:acct:<route>:<account>`). Either one
 * over its limit refuses. With the cache down, attempts are allowed (the port fails open).
 */
@Injectable()
export class AuthRateLimiter {
  constructor(
    @Inject(CACHE) private readonly cache: CachePort,
    @Inject(ENV) private readonly env: Env,
  ) {}

  async check(route: RateLimitedRoute, ip: string | null, account: string | null): Promise<RateLimitDecision> {
    const keys = [`auth:ip:${route}:${ip ?? 'unknown'}`];
    if (account) keys.push(`auth:acct:${route}:${account}`);
    const results = await Promise.all(
      keys.map((key) => this.cache.hit(key, this.env.AUTH_RATE_LIMIT, this.env.AUTH_RATE_LIMIT_WINDOW_MS)),
    );
    const refused = results.filter((result) => !result.allowed);
    if (refused.length === 0) return { allowed: true, retryAfterSeconds: 0 };
    const waitMs = Math.max(...refused.map((result) => result.retryAfterMs));
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }
}

/** The account an attempt is counted against, read from the raw (not yet validated) body. */
export function rateLimitAccount(route: RateLimitedRoute, body: unknown): string | null {
  const field = (name: string): string | null => {
    if (typeof body !== 'object' || body === null) return null;
    const value = (body as Record<string, unknown>)[name];
    return typeof value === 'string' && value.trim() !== '' ? value : null;
  };
  switch (route) {
    case 'login':
    case 'register': {
      const email = field('email');
      return email ? email.trim().toLowerCase().slice(0, 254) : null;
    }
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
    void http.getResponse<FastifyReply>().header('retry-after', String(decision.retryAfterSeconds));
    throw new ProblemException(
      problem(429, `Too many ${route} attempts; try again in ${decision.retryAfterSeconds} s.`, {
        retryAfter: decision.retryAfterSeconds,
      }),
    );
  }
}

/** Limits this route per IP and per account (see AuthRateLimiter) and documents the 429. */
export const RateLimited = (route: RateLimitedRoute) =>
  applyDecorators(
    SetMetadata(RATE_LIMIT_METADATA, route),
    UseGuards(AuthRateLimitGuard),
    ApiResponse({
      status: 429,
      description:
        'Too many attempts from this IP or for this account within the window (AUTH_RATE_LIMIT per AUTH_RATE_LIMIT_WINDOW_MS)',
      headers: { 'Retry-After': { description: 'Seconds until the window resets', schema: { type: 'integer' } } },
      content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
    }),
  );
