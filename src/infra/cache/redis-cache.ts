import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  CacheUnavailableError,
  INVALIDATION_HOLD_MS,
  type CacheLock,
  type CachePort,
  type CacheSetOptions,
  type RateLimitResult,
} from './cache.port.js';
import { closeRedis, redisAnswers, settleFirstConnect } from '../redis/redis-lifecycle.js';

export interface RedisCacheOptions {
  url: string;
  /** Put before every key, so environments, tenants of one Redis, and test files never collide. */
  keyPrefix: string;
  logger?: Logger;
}

/** One outage makes every call fail; one warning per this many ms tells the operator enough. */
const WARN_EVERY_MS = 5_000;
/** Calls made before the first connection settles wait this long at most, then degrade. */
const FIRST_CONNECT_WAIT_MS = 1_000;

// Compare-and-delete: after a lapse someone else may own the key, and only the owner may free it.
const RELEASE_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
// Count and start the window in one step; a counter left without an expiry would block forever.
const HIT_LUA = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`;

// Redis's clock in ms; every process compares holds against the same clock.
const NOW_MS_LUA = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;
// A held invalidation sets the version to Redis's time (still greater than before): versions that
// recent are held, and nothing is stored under them until ARGV[1] ms have passed.
const INVALIDATE_HOLDING_LUA = `${NOW_MS_LUA}
for _, key in ipairs(KEYS) do
  local version = tonumber(redis.call('GET', key) or '0')
  redis.call('SET', key, string.format('%.0f', math.max(version + 1, now)))
end
return 1`;
// Stores KEYS[1] only if each tag (KEYS[2..]) is still at the version read before loading (ARGV[2+i])
// and not held: an invalidation in between means the loaded value may predate it.
const STORE_IF_CURRENT_LUA = `${NOW_MS_LUA}
for i = 2, #KEYS do
  local version = tonumber(redis.call('GET', KEYS[i]) or '0')
  if version ~= tonumber(ARGV[i + 2]) or now - version < tonumber(ARGV[3]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

/** Commands ioredis defines from the `scripts` option (EVALSHA, falling back to EVAL). */
interface Scripts {
  releaseLock(key: string, token: string): Promise<number>;
  hitWindow(key: string, windowMs: number): Promise<[number, number]>;
  invalidateHolding(numberOfKeys: number, ...keysThenHoldMs: (string | number)[]): Promise<number>;
  storeIfCurrent(numberOfKeys: number, ...keysThenArgs: (string | number)[]): Promise<number>;
}

/** What an entry key holds: the value and the version of each tag when it was written. */
interface Stored {
  v: unknown;
  t?: [tag: string, version: number][];
}

/**
 * The Redis cache, shared by every process on the same Redis and key prefix.
 *
 * Degrades instead of failing (see the port): no offline queue, no per-command retries and a short
 * command timeout make calls fail fast while Redis is away; each failure becomes a miss, a dropped
 * write, an allowed hit or a null lock, and ioredis keeps reconnecting in the background.
 *
 * Tag versions are keys without a TTL. Use a `volatile-*` eviction policy (or none) so Redis never
 * evicts them: a lost version key resets to 0 and could make entries from before an invalidation
 * valid again. An invalidation dropped during an outage leaves stale values until their TTL.
 */
export class RedisCache implements CachePort {
  readonly kind = 'redis' as const;
  private readonly redis: Redis & Scripts;
  private readonly firstConnect: Promise<void>;
  private lastWarnAt = 0;
  private degraded = false;

  constructor(private readonly options: RedisCacheOptions) {
    this.redis = new Redis(options.url, {
      // RESP2: we only use strings, integers and arrays, which read the same in both protocols, and
      // RESP2 skips the HELLO round trip and works through proxies that do not speak RESP3.
      protocol: 2,
      // Commands issued in the same tick leave in one write: concurrent requests share round trips.
      enableAutoPipelining: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 500,
      // A socket that stops answering while commands wait is dropped and reconnected, so a stalled
      // Redis costs each call one fast failure instead of a full command timeout.
      socketTimeout: 1_000,
      connectTimeout: 2_000,
      retryStrategy: (times) => Math.min(100 * 2 ** times, 5_000),
      scripts: {
        releaseLock: { lua: RELEASE_LUA, numberOfKeys: 1 },
        hitWindow: { lua: HIT_LUA, numberOfKeys: 1 },
        invalidateHolding: { lua: INVALIDATE_HOLDING_LUA },
        storeIfCurrent: { lua: STORE_IF_CURRENT_LUA },
      },
    }) as Redis & Scripts;
    this.redis.on('error', (error: Error) => this.warn('connection', error));
    this.redis.on('ready', () => {
      if (!this.degraded) return;
      this.degraded = false;
      this.options.logger?.info('cache: Redis is reachable again');
    });
    this.firstConnect = settleFirstConnect(this.redis, FIRST_CONNECT_WAIT_MS);
  }

  async get<T>(key: string): Promise<T | undefined> {
    return this.attempt<T | undefined>('get', undefined, async () => {
      const raw = await this.redis.get(this.key('v', key));
      if (raw === null) return undefined;
      const stored = JSON.parse(raw) as Stored;
      const tagged = stored.t ?? [];
      return this.current(tagged, await this.versions(tagged.map(([tag]) => tag))) ? (stored.v as T) : undefined;
    });
  }

  async set<T>(key: string, value: T, options: CacheSetOptions): Promise<void> {
    await this.attempt('set', undefined, async () => {
      const tags = options.tags ?? [];
      await this.store(key, value, options.ttlMs, tags, await this.versions(tags));
    });
  }

  async delete(key: string): Promise<void> {
    await this.attempt('delete', undefined, async () => {
      await this.redis.del(this.key('v', key));
    });
  }

  async invalidateTags(tags: string[]): Promise<void> {
    await this.attempt('invalidateTags', undefined, async () => {
      await Promise.all(tags.map((tag) => this.redis.incr(this.key('tag', tag))));
    });
  }

  async invalidateTagsOrThrow(tags: string[]): Promise<void> {
    await this.firstConnect;
    try {
      await this.redis.invalidateHolding(tags.length, ...tags.map((tag) => this.key('tag', tag)));
    } catch (error) {
      this.warn('invalidateTagsOrThrow', error);
      throw new CacheUnavailableError('record an invalidation', { cause: error });
    }
  }

  /**
   * One round trip on a hit: the entry and its tags' versions in one MGET (the tags are the caller's,
   * the same it stored the entry with). On a miss those versions, read before loading, go with the new
   * entry: an invalidation during the load leaves it stale.
   */
  async wrap<T>(key: string, options: CacheSetOptions, load: () => Promise<T>): Promise<T> {
    const tags = options.tags ?? [];
    const read = await this.attempt<{ hit: true; value: T } | { hit: false; versions: number[] } | null>(
      'wrap',
      null,
      async () => {
        const [raw, ...found] = await this.redis.mget(this.key('v', key), ...tags.map((tag) => this.key('tag', tag)));
        const versions = found.map((version) => Number(version ?? 0));
        if (raw === null || raw === undefined) return { hit: false, versions };
        const stored = JSON.parse(raw) as Stored;
        const tagged = stored.t ?? [];
        const sameTags = tagged.length === tags.length && tagged.every(([tag], i) => tag === tags[i]);
        const current = this.current(tagged, sameTags ? versions : await this.versions(tagged.map(([tag]) => tag)));
        return current ? { hit: true, value: stored.v as T } : { hit: false, versions };
      },
    );
    if (read?.hit) return read.value;
    const value = await load();
    if (read) {
      await this.attempt('wrap', undefined, () => this.store(key, value, options.ttlMs, tags, read.versions));
    }
    return value;
  }

  async tryLock(key: string, ttlMs: number): Promise<CacheLock | null> {
    const lockKey = this.key('lock', key);
    return this.attempt<CacheLock | null>('tryLock', null, async () => {
      const token = randomUUID();
      const taken = await this.redis.set(lockKey, token, 'PX', ttl(ttlMs), 'NX');
      if (taken !== 'OK') return null;
      return {
        // With Redis down the release is dropped; the lock then lapses after its TTL.
        release: () =>
          this.attempt('release', undefined, async () => {
            await this.redis.releaseLock(lockKey, token);
          }),
      };
    });
  }

  async hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    const open: RateLimitResult = { allowed: true, count: 0, remaining: limit, retryAfterMs: 0 };
    return this.attempt('hit', open, async () => {
      const [count, pttl] = await this.redis.hitWindow(this.key('rl', key), ttl(windowMs));
      return {
        allowed: count <= limit,
        count,
        remaining: Math.max(0, limit - count),
        retryAfterMs: Math.max(1, pttl),
      };
    });
  }

  async resetHits(key: string): Promise<void> {
    await this.attempt('resetHits', undefined, async () => {
      await this.redis.del(this.key('rl', key));
    });
  }

  isHealthy(): Promise<boolean> {
    return redisAnswers(this.redis, this.firstConnect);
  }

  close(): Promise<void> {
    return closeRedis(this.redis);
  }

  private key(kind: 'v' | 'tag' | 'lock' | 'rl', key: string): string {
    return `${this.options.keyPrefix}${kind}:${key}`;
  }

  /** Whether an entry stored at these tag versions is still valid against the `now` versions. */
  private current(tagged: readonly [string, number][], now: readonly number[]): boolean {
    return tagged.every(([, version], i) => now[i] === version);
  }

  /** Current version of each tag; a tag never invalidated is at 0. */
  private async versions(tags: readonly string[]): Promise<number[]> {
    if (tags.length === 0) return [];
    const raw = await this.redis.mget(tags.map((tag) => this.key('tag', tag)));
    return raw.map((version) => Number(version ?? 0));
  }

  private async store(
    key: string,
    value: unknown,
    ttlMs: number,
    tags: readonly string[],
    versions: readonly number[],
  ): Promise<void> {
    const stored: Stored = { v: value };
    if (tags.length === 0) {
      await this.redis.set(this.key('v', key), JSON.stringify(stored), 'PX', ttl(ttlMs));
      return;
    }
    stored.t = tags.map((tag, i) => [tag, versions[i] ?? 0]);
    await this.redis.storeIfCurrent(
      1 + tags.length,
      this.key('v', key),
      ...tags.map((tag) => this.key('tag', tag)),
      JSON.stringify(stored),
      ttl(ttlMs),
      INVALIDATION_HOLD_MS,
      ...tags.map((_, i) => versions[i] ?? 0),
    );
  }

  /** Runs one Redis operation; any failure becomes `fallback` and a (rate-limited) warning. */
  private async attempt<R>(what: string, fallback: R, run: () => Promise<R>): Promise<R> {
    await this.firstConnect;
    try {
      return await run();
    } catch (error) {
      this.warn(what, error);
      return fallback;
    }
  }

  private warn(what: string, error: unknown): void {
    this.degraded = true;
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    this.options.logger?.warn(
      { err: error, operation: what },
      'cache: Redis unavailable; serving misses, dropping writes, allowing rate-limited calls',
    );
  }
}

/** Redis wants a positive integer of milliseconds. */
function ttl(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}
