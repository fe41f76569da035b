import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Env } from './env.schema.js';

/**
 * Without JWT_SECRET (never in production, which refuses to start): the embedded setup keeps a random
 * secret in DATA_DIR, so tokens survive restarts yet nobody can sign one from a value in the source; in
 * memory it is random per process. Only a development setup on real infrastructure falls back to a fixed
 * secret, shared by its processes — and even then a re-signed token claiming another role is refused,
 * because the verifier checks claims against the account.
 */
const SHARED_DEVELOPMENT_SECRET = 'ordo-development-secret-never-use-in-production';

export interface SigningSecret {
  secret: string;
  /** Where it came from, for the start-up warning. */
  source: string;
}

const perProcess = randomBytes(32).toString('hex');

/** The platform's signing secret: JWT_SECRET, or a development fallback (see above). */
export function signingSecret(env: Env): SigningSecret {
  if (env.JWT_SECRET) return { secret: env.JWT_SECRET, source: 'JWT_SECRET' };
  if (env.DATABASE_URL) return { secret: SHARED_DEVELOPMENT_SECRET, source: 'the shared development secret' };
  if (env.DATA_DIR === ':memory:') return { secret: perProcess, source: 'a random per-process secret' };
  const path = join(env.DATA_DIR, 'jwt-secret');
  if (!existsSync(path)) {
    mkdirSync(env.DATA_DIR, { recursive: true });
    writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  }
  return { secret: readFileSync(path, 'utf8').trim(), source: `a random secret kept in ${path}` };
}

/** A secret for one purpose, derived from the signing secret, so one leaked key cannot forge the other's. */
export function derivedSecret(env: Env, purpose: string): string {
  return createHmac('sha256', signingSecret(env).secret).update(`ordo:${purpose}`).digest('hex');
}
