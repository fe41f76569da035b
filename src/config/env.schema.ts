import { z } from 'zod';
import { requiredSecrets } from './required-secrets.js';

const weakSecrets = new Set(['secret', 'changeme', 'change-me', 'password', 'jwt-secret', 'development-only-secret']);

const optionalUrl = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .pipe(z.url().optional())
  .optional();

/** 'true' or 'false' (unset: false); anything else is a typo worth reporting, not a silent false. */
const flag = z
  .enum(['true', 'false'])
  .optional()
  .transform((value) => value === 'true');

/**
 * Exact origins only (scheme, host, port; no path, no `*`): credentials may cross, so a wildcard or a
 * pattern would hand a signed-in browser to any site that matches.
 */
const corsOrigins = z
  .string()
  .default('')
  .transform((value, ctx) => {
    const origins = value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
    for (const origin of origins) {
      if (!URL.canParse(origin) || new URL(origin).origin !== origin) {
        ctx.addIssue({
          code: 'custom',
          message: `"${origin}" is not an exact origin like https://shop.example.com (no path, no trailing /, no *)`,
        });
      }
    }
    return origins;
  });

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** A comma-separated list of positive numbers, e.g. `1,2,4,8`. */
const positiveList = (fallback: string, integers = true) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const numbers = value.split(',').map((part) => Number(part.trim()));
      if (numbers.some((n) => !Number.isFinite(n) || n <= 0 || (integers && !Number.isInteger(n)))) {
        ctx.addIssue({
          code: 'custom',
          message: `a comma-separated list of positive ${integers ? 'whole ' : ''}numbers`,
        });
        return z.NEVER;
      }
      return numbers;
    });

/**
 * Every variable Ordo reads. `.env.example` documents each one; keep the two in step.
 * Nothing set means embedded defaults: PGlite, the table-queue bus and the in-process cache.
 */
export const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    MODE: z.enum(['all', 'api', 'worker', 'scheduler']).default('all'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().default('0.0.0.0'),
    /**
     * Behind a load balancer: 'true' trusts X-Forwarded-For from any hop, or a comma-separated list of
     * proxy addresses/CIDRs. Client IPs (rate limits, sessions, audit) come from it. Unset: the peer.
     */
    TRUST_PROXY: z
      .string()
      .optional()
      .transform((value) =>
        value === undefined || value === '' || value === 'false' ? false : value === 'true' ? true : value,
      ),
    /**
     * Web origins (a shop's site on another host) whose browsers may call the API: a comma-separated
     * list of exact origins, `https://shop.example.com,http://localhost:5173`. Unset: same origin only.
     */
    CORS_ORIGINS: corsOrigins,
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_PRETTY: z
      .enum(['true', 'false'])
      .optional()
      .transform((value) => (value === undefined ? undefined : value === 'true')),

    DATA_DIR: z.string().default('./.ordo'),
    DATABASE_URL: optionalUrl,
    /** Production only: 'true' accepts the embedded database (one process, files under DATA_DIR) on purpose. */
    ALLOW_EMBEDDED_DATABASE: flag,
    DATABASE_POOL_SIZE: positiveInt(10),
    DATABASE_PREFIX: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,20}$/, 'lower-case letters, digits and _ only')
      .default('ordo_tenant_'),
    TENANT_SERVERS: z.string().optional(),
    TENANT_POOL_MAX_OPEN: positiveInt(20),
    TENANT_POOL_SIZE: positiveInt(5),
    TENANT_POOL_IDLE_MS: positiveInt(60_000),

    RABBITMQ_URL: optionalUrl,
    BUS_NAMESPACE: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,40}$/, 'lower-case letters, digits, - and _ only')
      .default('ordo'),
    BUS_PREFETCH: positiveInt(16),
    BUS_RETRY_DELAYS_MS: z
      .string()
      .default('1000,5000,30000,120000,600000')
      .transform((value, ctx) => {
        const delays = value.split(',').map((part) => Number(part.trim()));
        if (delays.length === 0 || delays.some((delay) => !Number.isInteger(delay) || delay <= 0)) {
          ctx.addIssue({ code: 'custom', message: 'a comma-separated list of positive whole milliseconds' });
          return z.NEVER;
        }
        return delays;
      }),
    BUS_LEASE_MS: positiveInt(30_000),
    /** A delivery still running after this fails into the retry tiers, its transaction rolled back. */
    BUS_HANDLER_TIMEOUT_MS: positiveInt(60_000),
    OUTBOX_SWEEP_INTERVAL_MS: positiveInt(2_000),

    REDIS_URL: optionalUrl,
    REDIS_KEY_PREFIX: z.string().default('ordo:'),

    JWT_SECRET: z.string().optional(),
    ACCESS_TOKEN_TTL_SECONDS: positiveInt(900),
    REFRESH_TOKEN_TTL_DAYS: positiveInt(30),
    /** With both set, the first ADMIN is created at start unless an admin already exists. */
    ORDO_ADMIN_EMAIL: z.email().optional(),
    ORDO_ADMIN_PASSWORD: z.string().min(8, 'at least 8 characters').optional(),
    /**
     * Attempts per window on login, register and refresh, per client network (IPv4 address, IPv6 /64);
     * on login also failed attempts per account and network (see modules/auth/rate-limit.ts).
     */
    AUTH_RATE_LIMIT: positiveInt(10),
    AUTH_RATE_LIMIT_WINDOW_MS: positiveInt(60_000),
    /** Pay / Decline presses per window on the checkout page, per client network and per checkout link. */
    CHECKOUT_RATE_LIMIT: positiveInt(20),
    CHECKOUT_RATE_LIMIT_WINDOW_MS: positiveInt(60_000),
    SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
    /**
     * Serve GET /metrics on this port instead of the main one (in every role, so workers and schedulers
     * can be scraped too); keep the port off the public network. Unset: /metrics on PORT.
     */
    METRICS_PORT: z.preprocess(
      (value) => (value === '' ? undefined : value),
      z.coerce.number().int().min(0).max(65535).optional(),
    ),
    /** Name each tenant database in metric labels (they carry tenant codes); off: tenants are aggregated. */
    METRICS_TENANT_LABELS: z
      .enum(['true', 'false'])
      .default('false')
      .transform((value) => value === 'true'),
    BODY_LIMIT_BYTES: positiveInt(1_048_576),

    /** Where customers reach this API from outside: the base of checkout links in responses and emails. */
    PUBLIC_URL: optionalUrl,
    /**
     * The payment provider: `sandbox` (built in) serves its own checkout page at /pay/<token>; `stripe`
     * takes payments through Stripe Checkout (needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET).
     */
    PAYMENT_PROVIDER: z.enum(['sandbox', 'stripe']).default('sandbox'),
    /**
     * Production only: 'true' accepts the sandbox provider on purpose (a demo). Its Pay button marks an
     * order PAID without any money moving, so production refuses it otherwise.
     */
    ALLOW_SANDBOX_PAYMENTS: flag,
    /** Signs sandbox webhooks and checkout links: its own secret (see config/signing-secret.ts). */
    PAYMENTS_SANDBOX_SECRET: z.string().min(16, 'at least 16 characters').optional(),
    /** Stripe's secret API key (`sk_live_…`, `sk_test_…`) or a restricted key (`rk_…`). */
    STRIPE_SECRET_KEY: z
      .string()
      .regex(/^(sk|rk)_(live|test)_\w+$/, 'a Stripe secret key: sk_live_…, sk_test_… or rk_…')
      .optional(),
    /** The signing secret of Ordo's webhook endpoint in Stripe (`whsec_…`), or the one `stripe listen` prints. */
    STRIPE_WEBHOOK_SECRET: z
      .string()
      .regex(/^whsec_\w+$/, 'a Stripe webhook signing secret: whsec_…')
      .optional(),
    /**
     * Where the Stripe SDK sends its requests, when not to Stripe itself: a local stand-in or stripe-mock
     * (`http://127.0.0.1:12111`). Unset: api.stripe.com.
     */
    STRIPE_API_URL: optionalUrl,
    /** How long an order waits for payment before it expires: seconds, or with a unit (`90s`, `15m`, `1h`). */
    PAYMENT_TTL: z
      .string()
      .default('15m')
      .transform((value, ctx) => {
        const match = /^(\d+)\s*(ms|s|m|h)?$/.exec(value.trim());
        const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match?.[2] ?? 's'];
        const ms = match && unit ? Number(match[1]) * unit : NaN;
        if (!Number.isSafeInteger(ms) || ms < 1000) {
          ctx.addIssue({ code: 'custom', message: 'a duration of at least 1 s, e.g. 900, 90s, 15m or 1h' });
          return z.NEVER;
        }
        return ms;
      }),
    /** How often the scheduler looks for orders whose payment time is up. */
    PAYMENT_EXPIRY_INTERVAL_MS: positiveInt(5_000),

    /** At most one write of a driver's last-known position (driver_positions) per this many ms. */
    DRIVER_POSITION_PERSIST_MS: positiveInt(5_000),
    /** Online drivers who report no position for this many minutes are taken offline. */
    DRIVER_SILENT_MINUTES: positiveInt(5),

    /** Outgoing mail server (`smtp://user:pass@host:587`, `smtps://…`); unset: notifications are only stored. */
    SMTP_URL: optionalUrl.refine((url) => url === undefined || /^smtps?:\/\//i.test(url), 'an smtp:// or smtps:// URL'),
    /** The sender of every notification email. */
    MAIL_FROM: z.string().trim().min(3).default('Ordo <no-reply@localhost>'),

    /** How long a driver has to accept an offer before it goes to the next one. */
    DISPATCH_OFFER_TTL_MS: positiveInt(20_000),
    /** Search radii around the pickup, tried in turn, nearest drivers first within each. */
    DISPATCH_RADII_KM: positiveList('1,2,4,8', false),
    /** Waits before searching again when nobody could take a job; after the last the job fails (refund). */
    DISPATCH_RETRY_DELAYS_MS: positiveList('5000,15000,30000,60000'),
    /** How often the scheduler expires due offers and runs due searches. */
    DISPATCH_TICK_MS: positiveInt(1_000),

    /** The platform tenant whose database holds ride orders (created and provisioned at start). */
    RIDES_TENANT: z
      .string()
      .regex(/^[a-z][a-z0-9_]{2,30}$/, 'a tenant code')
      .default('rides'),
    RIDES_CURRENCY: z
      .string()
      .regex(/^[A-Z]{3}$/, 'an ISO 4217 code')
      .default('EUR'),
    /** Per-class fares in minor units as JSON, e.g. {"ECONOMY":{"base":300,"perKm":120,"perMinute":25}}. */
    RIDE_FARES: z.string().optional(),
    /** A scheduled ride is released to dispatch this long before its time. */
    RIDE_DISPATCH_LEAD_MS: positiveInt(600_000),

    /** Tests only: `name=kill|throw,…` crashes or fails the process at named points (see common/failpoints.ts). */
    ORDO_FAILPOINTS: z
      .string()
      .regex(/^([a-z0-9.-]+=(kill|throw))?(,[a-z0-9.-]+=(kill|throw))*$/, 'name=kill|throw, comma-separated')
      .optional(),
  })
  .superRefine((env, ctx) => {
    for (const variable of requiredSecrets(env)) {
      if (env[variable] || (variable === 'JWT_SECRET' && env.NODE_ENV === 'production')) continue;
      ctx.addIssue({
        code: 'custom',
        path: [variable],
        message:
          'required with DATABASE_URL (real infrastructure): every process must share it, and no fallback is safe',
      });
    }
    if (env.PAYMENT_PROVIDER !== 'stripe') return;
    for (const name of ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET'] as const) {
      if (!env[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'required when PAYMENT_PROVIDER=stripe' });
    }
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== 'production') return;
    if (env.ORDO_FAILPOINTS) {
      ctx.addIssue({
        code: 'custom',
        path: ['ORDO_FAILPOINTS'],
        message: 'failpoints are for tests, never production',
      });
    }
    if (env.TRUST_PROXY === true) {
      ctx.addIssue({
        code: 'custom',
        path: ['TRUST_PROXY'],
        message: "'true' trusts any client's X-Forwarded-For in production: list the proxies' addresses or CIDRs",
      });
    }
    refuseUnsafeSetups(env, ctx);
    const secret = env.JWT_SECRET;
    if (!secret) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'required when NODE_ENV=production' });
    } else if (secret.length < 32 || weakSecrets.has(secret.toLowerCase())) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRET'],
        message: 'too weak for production: use at least 32 random characters',
      });
    }
  });

export type Env = z.infer<typeof envSchema>;

/**
 * Production setups that start fine and then fail their users: each refused with one line saying what
 * to set. The embedded database and sandbox payments stay possible when asked for by name.
 */
function refuseUnsafeSetups(env: Env, ctx: z.RefinementCtx): void {
  if (!env.DATABASE_URL && !env.ALLOW_EMBEDDED_DATABASE) {
    ctx.addIssue({
      code: 'custom',
      path: ['DATABASE_URL'],
      message:
        'required when NODE_ENV=production: the embedded database serves one process on one machine ' +
        '(ALLOW_EMBEDDED_DATABASE=true to run it anyway)',
    });
  }
  if (env.PAYMENT_PROVIDER === 'sandbox' && !env.ALLOW_SANDBOX_PAYMENTS) {
    ctx.addIssue({
      code: 'custom',
      path: ['PAYMENT_PROVIDER'],
      message:
        'the sandbox marks orders PAID without taking money, so anyone with a checkout link gets goods for free: ' +
        'choose a real PAYMENT_PROVIDER (ALLOW_SANDBOX_PAYMENTS=true for a demo)',
    });
  }
  if (!env.PUBLIC_URL) {
    ctx.addIssue({
      code: 'custom',
      path: ['PUBLIC_URL'],
      message:
        'required when NODE_ENV=production: checkout links in responses and emails are built from it (e.g. https://shop.example.com)',
    });
  }
}
