import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * Security headers on every response — routes, 404s and errors alike — through Nest's built-in hook
 * (helmet 8's headers and defaults): `X-Content-Type-Options: nosniff`, a default Content-Security-Policy,
 * and no framing by anyone (`frame-ancestors 'none'`, `X-Frame-Options: DENY`): no Ordo page is meant to
 * be embedded, and the checkout page's Pay button must never sit under another site's clickjacking
 * overlay. A page with stricter needs (the checkout page) sets its own CSP.
 */
export function useSecurityHeaders(app: NestFastifyApplication): void {
  app.useSecurityHeaders({
    contentSecurityPolicy: {
      directives: {
        frameAncestors: ["'none'"],
        // TLS ends at the proxy in front; on plain-HTTP setups (a laptop, a test) upgrading would break
        // the Swagger UI's own assets.
        upgradeInsecureRequests: null,
      },
    },
    xFrameOptions: { action: 'deny' },
  });
}
