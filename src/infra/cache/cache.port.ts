import { Saturated } from '../../common/saturated.js';

/**
 * The cache port: short-lived shared state. In-process when REDIS_URL is unset, Redis when set.
 *
 * Contract:
 * - `get` after `set` returns the value until `ttlMs` passes, `delete` runs, or one of its tags is invalidated.
 * - `invalidateTags` bumps a version per tag (never scans keys); entries stored under an older version miss.
 *   An entry loaded while one of its tags was invalidated is not stored.
 * - `invalidateTagsOrThrow` is the invalidation a revocation relies on: it throws `CacheUnavailableError`
 *   when the store cannot record it (the caller then refuses the change), and for `INVALIDATION_HOLD_MS`
 *   afterwards no entry under those tags is stored at all.
 * - When the backing store is unreachable, reads miss, writes are dropped, `isHealthy` is false, and
 *   nothing throws: a cache outage slows requests down, it never fails them.
 * - `tryLock` gives at most one holder per key across every process sharing the store; the lock lapses
 *   after `ttlMs` if its holder dies. With the store down it returns null (nobody holds it).
 * - `hit` counts one event against a fixed window and says whether it is within `limit`; with the store
 *   down it allows (fail open) so an outage does not lock users out. `resetHits` starts the key's count
 *   over (a successful login forgets the failures before it).
 */
export interface CachePort {
  readonly kind: 'memory' | 'redis';
  get<T>(key: string): Promise<T | undefined>;
  set<T>(key: string, value: T, options: CacheSetOptions): Promise<void>;
  delete(key: string): Promise<void>;
  invalidateTags(tags: string[]): Promise<void>;
  /**
   * Called inside the transaction that revokes something, before its commit. A failure aborts the
   * revocation instead of leaving a cached "still valid" answer that nobody can drop (the store refused
   * the write). The hold covers the other race: a reader that loads from the database before the commit
   * would store the old answer under the new version; during the hold nothing is stored, and by then the
   * commit is visible.
   */
  invalidateTagsOrThrow(tags: string[]): Promise<void>;
  /** Returns the cached value, or loads, stores and returns it. */
  wrap<T>(key: string, options: CacheSetOptions, load: () => Promise<T>): Promise<T>;
  tryLock(key: string, ttlMs: number): Promise<CacheLock | null>;
  hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult>;
  resetHits(key: string): Promise<void>;
  isHealthy(): Promise<boolean>;
  close(): Promise<void>;
}

export interface CacheSetOptions {
  ttlMs: number;
  tags?: string[];
}

export interface CacheLock {
  /** Releases the lock if this holder still owns it; a no-op otherwise. */
  release(): Promise<void>;
}

export interface RateLimitResult {
  allowed: boolean;
  /** Events counted in the current window, this one included. */
  count: number;
  remaining: number;
  /** Milliseconds until the window resets (use for `Retry-After`). */
  retryAfterMs: number;
}

/** How long `invalidateTagsOrThrow` holds its tags: far longer than the revoking transaction's commit. */
export const INVALIDATION_HOLD_MS = 5_000;

/**
 * The cache could not record a write that must not be lost. A 503 at the edge, like any outage: the
 * change it guarded was refused, and trying again once the cache is back works.
 */
export class CacheUnavailableError extends Saturated {
  constructor(operation: string, options?: ErrorOptions) {
    super(
      `cache unavailable: could not ${operation}`,
      2,
      'The cache cannot record this change right now, so it was not made; try again shortly.',
    );
    this.name = 'CacheUnavailableError';
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

export const CACHE = Symbol('CACHE');
