import { randomUUID } from 'node:crypto';
import {
  INVALIDATION_HOLD_MS,
  type CacheLock,
  type CachePort,
  type CacheSetOptions,
  type RateLimitResult,
} from './cache.port.js';

export interface MemoryCacheOptions {
  /** Most values (and, separately, rate-limit counters) kept; the least recently used go first. */
  maxEntries?: number;
  /** How often expired values, locks, counters and forgotten tags are swept. */
  sweepIntervalMs?: number;
}

interface Entry {
  /** JSON, not the object: callers get a copy and the same shapes Redis would give them. */
  json: string;
  expiresAt: number;
  tags: readonly string[];
  /** The sequence number when the value was read or loaded; see `bumpedAt`. */
  writtenAt: number;
}

interface RateWindow {
  count: number;
  resetAt: number;
}

/**
 * The in-process cache: one Node process, nothing shared. Bounded by `maxEntries` (LRU) plus a sweep.
 *
 * Tag versions use one global sequence instead of a counter per tag: invalidating a tag records the
 * sequence in `bumpedAt`, and an entry is stale when any of its tags was bumped after it was written.
 * Unlike per-tag counters, a tag's record can be forgotten once no live entry predates it, without a
 * later reset making old entries valid again — so the tag map stays bounded too.
 */
export class MemoryCache implements CachePort {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, Entry>();
  private readonly bumpedAt = new Map<string, number>();
  /** Tags under which nothing is stored until the given time (`invalidateTagsOrThrow`). */
  private readonly heldUntil = new Map<string, number>();
  private readonly locks = new Map<string, { token: string; expiresAt: number }>();
  private readonly windows = new Map<string, RateWindow>();
  /** Sequences captured by `wrap` calls still loading; their tags must not be forgotten yet. */
  private readonly loading = new Set<number>();
  private readonly maxEntries: number;
  private readonly sweeper: NodeJS.Timeout;
  private seq = 0;

  constructor(options: MemoryCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 30_000);
    this.sweeper.unref(); // a cache must never keep the process alive
  }

  async get<T>(key: string): Promise<T | undefined> {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now() || this.isStale(entry)) {
      this.entries.delete(key);
      return undefined;
    }
    this.entries.delete(key); // re-insert: Map order is our LRU order
    this.entries.set(key, entry);
    return JSON.parse(entry.json) as T;
  }

  async set<T>(key: string, value: T, options: CacheSetOptions): Promise<void> {
    this.store(key, value, options, ++this.seq);
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async invalidateTags(tags: string[]): Promise<void> {
    const now = ++this.seq;
    for (const tag of tags) this.bumpedAt.set(tag, now);
  }

  async invalidateTagsOrThrow(tags: string[]): Promise<void> {
    await this.invalidateTags(tags);
    const until = Date.now() + INVALIDATION_HOLD_MS;
    for (const tag of tags) this.heldUntil.set(tag, until);
  }

  async wrap<T>(key: string, options: CacheSetOptions, load: () => Promise<T>): Promise<T> {
    const cached = await this.get<T>(key);
    if (cached !== undefined) return cached;
    // Capture the sequence before loading: an invalidation during the load makes this value stale.
    const startedAt = ++this.seq;
    this.loading.add(startedAt);
    try {
      const value = await load();
      this.store(key, value, options, startedAt);
      return value;
    } finally {
      this.loading.delete(startedAt);
    }
  }

  async tryLock(key: string, ttlMs: number): Promise<CacheLock | null> {
    const now = Date.now();
    const held = this.locks.get(key);
    if (held && held.expiresAt > now) return null;
    const token = randomUUID();
    this.locks.set(key, { token, expiresAt: now + Math.max(1, ttlMs) });
    return {
      release: async () => {
        // Only the owner frees it: after a lapse someone else may hold the key now.
        if (this.locks.get(key)?.token === token) this.locks.delete(key);
      },
    };
  }

  async hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + Math.max(1, windowMs) };
    }
    window.count += 1;
    this.windows.delete(key);
    this.windows.set(key, window);
    evictOldest(this.windows, this.maxEntries);
    return {
      allowed: window.count <= limit,
      count: window.count,
      remaining: Math.max(0, limit - window.count),
      retryAfterMs: window.resetAt - now,
    };
  }

  async resetHits(key: string): Promise<void> {
    this.windows.delete(key);
  }

  async isHealthy(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.entries.clear();
    this.bumpedAt.clear();
    this.heldUntil.clear();
    this.locks.clear();
    this.windows.clear();
  }

  private store<T>(key: string, value: T, options: CacheSetOptions, writtenAt: number): void {
    const json = JSON.stringify(value);
    this.entries.delete(key);
    if (json === undefined) return; // `undefined` has no JSON form; Redis could not store it either
    const tags = options.tags ?? [];
    const now = Date.now();
    if (tags.some((tag) => (this.heldUntil.get(tag) ?? 0) > now)) return;
    this.entries.set(key, {
      json,
      expiresAt: now + Math.max(1, options.ttlMs),
      tags,
      writtenAt,
    });
    evictOldest(this.entries, this.maxEntries);
  }

  private isStale(entry: Entry): boolean {
    return entry.tags.some((tag) => (this.bumpedAt.get(tag) ?? 0) > entry.writtenAt);
  }

  private sweep(): void {
    const now = Date.now();
    let oldest = this.seq + 1;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt <= now || this.isStale(entry)) this.entries.delete(key);
      else oldest = Math.min(oldest, entry.writtenAt);
    }
    for (const startedAt of this.loading) oldest = Math.min(oldest, startedAt);
    // A bump no live or loading entry predates can never make anything stale again.
    for (const [tag, at] of this.bumpedAt) if (at < oldest) this.bumpedAt.delete(tag);
    for (const [tag, until] of this.heldUntil) if (until <= now) this.heldUntil.delete(tag);
    for (const [key, lock] of this.locks) if (lock.expiresAt <= now) this.locks.delete(key);
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }
}

function evictOldest<V>(map: Map<string, V>, max: number): void {
  for (const key of map.keys()) {
    if (map.size <= max) return;
    map.delete(key);
  }
}
