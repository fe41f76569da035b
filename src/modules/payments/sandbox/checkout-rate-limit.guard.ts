import { createHash } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ENV } from '../../../config/config.module.js';
import type { Env } from '../../../config/env.schema.js';
import { clientNetwork } from '../../../common/http/client-network.js';
import { retryAfterSeconds, tooManyRequests } from '../../../common/http/too-many-requests.js';
import { CACHE, type CachePort } from '../../../infra/cache/cache.port.js';

/**
 * Limits Pay / Decline on the public checkout page: CHECKOUT_RATE_LIMIT presses per
 * CHECKOUT_RATE_LIMIT_WINDOW_MS per client network (forged or guessed links cost a signature check
 * and a lookup each) and per checkout link (each Decline of an open payment writes a payment event, an
 * order event and an outbox row: a leaked link must not be a write amplifier). Counted in the shared
 * cache, before anything else runs.
 */
@Injectable()
export class CheckoutRateLimitGuard implements CanActivate {
  constructor(
    @Inject(CACHE) private readonly cache: CachePort,
    @Inject(ENV) private readonly env: Env,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest<{ Params: { token?: string } }>>();
    // A hash prefix names the link in the cache without storing the bearer token itself.
    const link = createHash('sha256')
      .update(request.params.token ?? '')
      .digest('hex')
      .slice(0, 32);
    const results = await Promise.all(
      [`checkout:ip:${clientNetwork(request.ip)}`, `checkout:link:${link}`].map((key) =>
        this.cache.hit(key, this.env.CHECKOUT_RATE_LIMIT, this.env.CHECKOUT_RATE_LIMIT_WINDOW_MS),
      ),
    );
    const refused = results.filter((result) => !result.allowed);
    if (refused.length === 0) return true;
    const seconds = retryAfterSeconds(Math.max(...refused.map((result) => result.retryAfterMs)));
    throw tooManyRequests(http.getResponse<FastifyReply>(), seconds, 'payment attempts on this checkout');
  }
}
