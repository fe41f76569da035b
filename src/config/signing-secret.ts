import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Env } from './env.schema.js';

/**
 * Ordo's own secrets — the JWT signing key and the sandbox provider's webhook key — each from its own
 * variable, never one derived from the other (one leaked key must not forge the other's messages; the
 * Stripe adapter keys its checkout links from the Stripe secret key, see stripe-provider.ts).
 * Without the variable:
 * - embedded (no DATABASE_URL): a random secret kept in DATA_DIR, so tokens survive restarts yet
 *   nobody can sign one from a value in the source; with DATA_DIR=:memory:, random per process;
 * - real infrastructure: processes must share the secret, so only tests (NODE_ENV=test) fall back to
 *   a fixed value; anywhere else the environment check refuses to start (required-secrets.ts).
 */
interface SecretSpec {
  /** The variable that sets it. */
  variable: 'JWT_SECRET' | 'PAYMENTS_SANDBOX_SECRET';
  /** Its file in DATA_DIR when embedded. */
  file: string;
  /** The value shared by test processes on real infrastructure: public, so only under NODE_ENV=test. */
  testValue: string;
}

const SIGNING: SecretSpec = {
  variable: 'JWT_SECRET',
  file: 'jwt-secret',
  testValue: 'ordo-development-secret-never-use-in-production',
};
const SANDBOX_WEBHOOKS: SecretSpec = {
  variable: 'PAYMENTS_SANDBOX_SECRET',
  file: 'sandbox-webhook-secret',
  testValue: 'ordo-test-sandbox-webhook-secret-never-use-elsewhere',
};

export interface PlatformSecret {
  secret: string;
  /** Where it came from, for the start-up warning. */
  source: string;
}

const perProcess = new Map<string, string>();

function platformSecret(env: Env, spec: SecretSpec): PlatformSecret {
  const given = env[spec.variable];
  if (given) return { secret: given, source: spec.variable };
  if (env.DATABASE_URL) {
    // The environment check refuses this outside tests; this guards any path that skipped it.
    if (env.NODE_ENV !== 'test') throw new Error(`${spec.variable} is required on real infrastructure`);
    return { secret: spec.testValue, source: 'the fixed test secret (NODE_ENV=test)' };
  }
  if (env.DATA_DIR === ':memory:') {
    if (!perProcess.has(spec.file)) perProcess.set(spec.file, randomBytes(32).toString('hex'));
    return { secret: perProcess.get(spec.file)!, source: 'a random per-process secret' };
  }
  const path = join(env.DATA_DIR, spec.file);
  if (!existsSync(path)) {
    mkdirSync(env.DATA_DIR, { recursive: true });
    try {
      writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Another process of this data directory wrote it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return { secret: readFileSync(path, 'utf8').trim(), source: `a random secret kept in ${path}` };
}

/** The key access tokens are signed with. */
export function signingSecret(env: Env): PlatformSecret {
  return platformSecret(env, SIGNING);
}

/** The key the sandbox provider signs and checks its webhooks with. */
export function sandboxWebhookSecret(env: Env): PlatformSecret {
  return platformSecret(env, SANDBOX_WEBHOOKS);
}
