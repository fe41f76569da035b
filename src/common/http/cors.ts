import type { FastifyCorsOptions } from '@fastify/cors';

/**
 * CORS for web shops on other origins (`CORS_ORIGINS`). Only the listed origins are answered with
 * `Access-Control-Allow-Origin` (their own origin, never `*`), so credentials can cross safely; any
 * other origin gets its preflight answered without it, and the browser keeps the response from the page.
 * With no origins listed nothing is allowed: the console and pages are served from the same origin.
 */
export function corsOptions(origins: readonly string[]): FastifyCorsOptions {
  const allowed = new Set(origins);
  return {
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-request-id'],
    // What a shop's script may read besides the safelisted headers: the id to quote in a support
    // request, and how long to wait after a 429 or 503.
    exposedHeaders: ['x-request-id', 'retry-after'],
    // Browsers cache a preflight this long (capped by Chromium at 2 h), so a page does not pay one per call.
    maxAge: 600,
  };
}
