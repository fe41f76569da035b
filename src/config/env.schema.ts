import { z } from 'zod';

const weakSecrets = new Set(['secret', 'changeme', 'change-me', 'password', 'jwt-secret', 'development-only-secret']);

const optionalUrl = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .pipe(z.url().optional())
  .optional();

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
    /** Requests per window, per IP and per account, on login, register and refresh. */
    AUTH_RATE_LIMIT: positiveInt(10),
    AUTH_RATE_LIMIT_WINDOW_MS: positiveInt(60_000),
    SHUTDOWN_TIMEOUT_MS: positiveInt(10_000),
    BODY_LIMIT_BYTES: positiveInt(1_048_576),

    /** Where customers reach this API from outside: the base of checkout links in responses and emails. */
    PUBLIC_URL: optionalUrl,
    /** The payment provider; `sandbox` (built in) serves its own checkout page at /pay/<token>. */
    PAYMENT_PROVIDER: z.enum(['sandbox']).default('sandbox'),
    /** Signs sandbox webhooks and checkout links; derived from the signing secret when unset. */
    PAYMENTS_SANDBOX_SECRET: z.string().min(16, 'at least 16 characters').optional(),
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
