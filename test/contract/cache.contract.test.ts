import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { CacheUnavailableError, type CachePort } from '../../src/infra/cache/cache.port.js';
import { MemoryCache } from '../../src/infra/cache/memory-cache.js';
import { RedisCache } from '../../src/infra/cache/redis-cache.js';
import { requireService, serviceUrls, uniqueSuffix } from '../support/services.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Opens caches for one run. `open()` called twice must give two clients of the same store when the
 * adapter is shared across processes (`shared`), so the suite can check that property too.
 */
interface CacheFactory {
  open(): CachePort;
  shared: boolean;
  cleanup?(): Promise<void>;
}

const SHORT_MS = 150;
const SOON = { timeoutMs: 3_000, intervalMs: 20 };

/** `shared`: the store is shared between clients (processes), so that property is part of the contract. */
function cacheContract(name: string, skip: false | string, shared: boolean, makeFactory: () => CacheFactory): void {
  describe(`CachePort contract: ${name}`, { skip }, () => {
    let factory: CacheFactory;
    let cache: CachePort;
    let n = 0;
    const fresh = (what: string) => `${what}-${++n}`; // every test uses its own keys and tags

    before(() => {
      factory = makeFactory();
      cache = factory.open();
    });

    after(async () => {
      await cache.close();
      await factory.cleanup?.();
    });

    it('returns what was set, and nothing after delete', async () => {
      const key = fresh('k');
      assert.equal(await cache.get(key), undefined);
      await cache.set(key, { id: 1, names: ['a', 'b'] }, { ttlMs: 60_000 });
      assert.deepEqual(await cache.get(key), { id: 1, names: ['a', 'b'] });
      await cache.set(key, null, { ttlMs: 60_000 });
      assert.equal(await cache.get(key), null, 'null is a value, not a miss');
      await cache.delete(key);
      assert.equal(await cache.get(key), undefined);
    });

    it('stores a copy in JSON shape, as Redis would', async () => {
      const key = fresh('k');
      const value = { at: new Date('2024-01-02T03:04:05.000Z'), list: [1] };
      await cache.set(key, value, { ttlMs: 60_000 });
      value.list.push(2);
      assert.deepEqual(await cache.get(key), { at: '2024-01-02T03:04:05.000Z', list: [1] });
    });

    it('expires a value after its TTL', async () => {
      const key = fresh('k');
      await cache.set(key, 'v', { ttlMs: SHORT_MS });
      assert.equal(await cache.get(key), 'v');
      await waitFor(async () => (await cache.get(key)) === undefined, { ...SOON, what: 'expiry' });
    });

    it('invalidating a tag misses its entries, keeps the others, and allows setting again', async () => {
      const [tag, other] = [fresh('tag'), fresh('tag')];
      const [a, b, c] = [fresh('k'), fresh('k'), fresh('k')];
      await cache.set(a, 'a', { ttlMs: 60_000, tags: [tag] });
      await cache.set(b, 'b', { ttlMs: 60_000, tags: [other, tag] });
      await cache.set(c, 'c', { ttlMs: 60_000, tags: [other] });
      await cache.invalidateTags([tag]);
      assert.equal(await cache.get(a), undefined);
      assert.equal(await cache.get(b), undefined);
      assert.equal(await cache.get(c), 'c');
      await cache.set(a, 'a2', { ttlMs: 60_000, tags: [tag] });
      assert.equal(await cache.get(a), 'a2');
    });

    it('wrap loads once on a miss, then serves the cached value', async () => {
      const key = fresh('k');
      let loads = 0;
      const load = async () => ({ loaded: ++loads });
      assert.deepEqual(await cache.wrap(key, { ttlMs: 60_000 }, load), { loaded: 1 });
      assert.deepEqual(await cache.wrap(key, { ttlMs: 60_000 }, load), { loaded: 1 });
      assert.equal(loads, 1);
    });

    it('wrap does not keep serving a value whose tag was invalidated while it loaded', async () => {
      const [key, tag] = [fresh('k'), fresh('tag')];
      const value = await cache.wrap(key, { ttlMs: 60_000, tags: [tag] }, async () => {
        await cache.invalidateTags([tag]); // e.g. a write committed while we were reading
        return 'old';
      });
      assert.equal(value, 'old');
      assert.equal(await cache.get(key), undefined);
    });

    it('a must-record invalidation misses its entries and stores nothing under its tags for a while', async () => {
      const [key, tag, otherKey] = [fresh('k'), fresh('tag'), fresh('k')];
      await cache.set(key, 'active', { ttlMs: 60_000, tags: [tag] });
      await cache.invalidateTagsOrThrow([tag]);
      assert.equal(await cache.get(key), undefined);
      // A reader that loaded before the revoking transaction committed must not cache what it saw.
      let loads = 0;
      const load = async () => `loaded ${++loads}`;
      assert.equal(await cache.wrap(key, { ttlMs: 60_000, tags: [tag] }, load), 'loaded 1');
      assert.equal(await cache.wrap(key, { ttlMs: 60_000, tags: [tag] }, load), 'loaded 2');
      await cache.set(key, 'set directly', { ttlMs: 60_000, tags: [tag] });
      assert.equal(await cache.get(key), undefined);
      // Other tags are not held.
      assert.equal(await cache.wrap(otherKey, { ttlMs: 60_000, tags: [fresh('tag')] }, load), 'loaded 3');
      assert.equal(await cache.wrap(otherKey, { ttlMs: 60_000, tags: [fresh('tag')] }, load), 'loaded 3');
    });

    it('gives a lock to one holder until it is released', async () => {
      const key = fresh('lock');
      const lock = await cache.tryLock(key, 60_000);
      assert.ok(lock);
      assert.equal(await cache.tryLock(key, 60_000), null);
      await lock.release();
      const again = await cache.tryLock(key, 60_000);
      assert.ok(again, 'free after release');
      await again.release();
    });

    it('lets a lock lapse after its TTL, and a lapsed holder cannot release the new lock', async () => {
      const key = fresh('lock');
      const first = await cache.tryLock(key, SHORT_MS);
      assert.ok(first);
      const second = await waitFor(() => cache.tryLock(key, 60_000), { ...SOON, what: 'lock lapse' });
      await first.release(); // the old holder wakes up late
      assert.equal(await cache.tryLock(key, 60_000), null, 'still held by the second holder');
      await second.release();
      assert.ok(await cache.tryLock(key, SHORT_MS));
    });

    it('allows `limit` hits per window, refuses the next with a retry time, and resets', async () => {
      const key = fresh('rl');
      const windowMs = 400;
      for (let i = 1; i <= 3; i++) {
        const result = await cache.hit(key, 3, windowMs);
        assert.deepEqual([result.allowed, result.count, result.remaining], [true, i, 3 - i]);
      }
      const refused = await cache.hit(key, 3, windowMs);
      assert.equal(refused.allowed, false);
      assert.equal(refused.remaining, 0);
      assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= windowMs, `${refused.retryAfterMs}`);
      const next = await waitFor(
        async () => {
          const result = await cache.hit(key, 3, windowMs);
          return result.allowed ? result : undefined;
        },
        { ...SOON, what: 'a new window' },
      );
      assert.equal(next.count, 1);
    });

    it('starts a count over on resetHits, leaving other keys alone', async () => {
      const [key, other] = [fresh('rl'), fresh('rl')];
      await cache.hit(key, 2, 60_000);
      await cache.hit(key, 2, 60_000);
      await cache.hit(other, 2, 60_000);
      assert.equal((await cache.hit(key, 2, 60_000)).allowed, false);
      await cache.resetHits(key);
      assert.deepEqual([(await cache.hit(key, 2, 60_000)).count, (await cache.hit(other, 2, 60_000)).count], [1, 2]);
    });

    it('is healthy while its store answers', async () => {
      assert.equal(await cache.isHealthy(), true);
    });

    // Only a store shared between processes has this property; an in-process cache has no second client.
    if (shared) {
      it('shares values, tags, locks and counters between clients of one store', async () => {
        const other = factory.open();
        try {
          const [key, tag] = [fresh('k'), fresh('tag')];
          await cache.set(key, 'from one', { ttlMs: 60_000, tags: [tag] });
          assert.equal(await other.get(key), 'from one');
          await other.invalidateTags([tag]);
          assert.equal(await cache.get(key), undefined);

          const lockKey = fresh('lock');
          const lock = await cache.tryLock(lockKey, 60_000);
          assert.ok(lock);
          assert.equal(await other.tryLock(lockKey, 60_000), null);
          await lock.release();
          assert.ok(await other.tryLock(lockKey, SHORT_MS));

          const rl = fresh('rl');
          await cache.hit(rl, 2, 60_000);
          await other.hit(rl, 2, 60_000);
          const third = await cache.hit(rl, 2, 60_000);
          assert.deepEqual([third.allowed, third.count], [false, 3]);
        } finally {
          await other.close();
        }
      });
    }
  });
}

cacheContract('MemoryCache', false, false, () => ({ open: () => new MemoryCache(), shared: false }));

const redisSkip = await requireService('redis');

cacheContract('RedisCache', redisSkip, true, () => {
  const keyPrefix = `ordo-test:cache:${uniqueSuffix()}:`;
  return {
    open: () => new RedisCache({ url: serviceUrls.redis, keyPrefix }),
    shared: true,
    cleanup: () => deleteByPrefix(keyPrefix),
  };
});

describe('RedisCache with Redis down', () => {
  it('misses, drops, allows and refuses locks quickly, without throwing', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    // Port 1: nothing listens, so the connection is refused at once.
    const cache = new RedisCache({ url: 'redis://127.0.0.1:1', keyPrefix: 'down:', logger: pino(sink) });
    const started = Date.now();
    assert.equal(await cache.get('k'), undefined);
    await cache.set('k', 'v', { ttlMs: 1_000, tags: ['t'] });
    await cache.invalidateTags(['t']);
    await assert.rejects(cache.invalidateTagsOrThrow(['t']), CacheUnavailableError, 'a revocation must know');
    await cache.delete('k');
    assert.equal(await cache.wrap('k', { ttlMs: 1_000 }, async () => 'loaded'), 'loaded');
    const hit = await cache.hit('rl', 1, 1_000);
    assert.equal(hit.allowed, true);
    assert.equal(await cache.tryLock('lock', 1_000), null);
    assert.equal(await cache.isHealthy(), false);
    assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`);
    await cache.close();
    const warnings = lines.filter((line) => line.includes('"level":40'));
    assert.equal(warnings.length, 1, 'one warning for the outage, not one per call');
  });
});

describe('RedisCache while Redis refuses writes', { skip: redisSkip }, () => {
  // A user that may read but not write stands in for a paused or read-only Redis (failover, CLIENT PAUSE
  // WRITE) without pausing the Redis every other test shares.
  const user = `ordo-test-readonly-${process.pid}`;
  const keyPrefix = `ordo-test:readonly:${uniqueSuffix()}:`;
  let admin: Redis;

  before(async () => {
    admin = new Redis(serviceUrls.redis);
    await admin.call(
      'ACL',
      'SETUSER',
      user,
      'reset',
      'on',
      '>readonly-password',
      '~*',
      '&*',
      '+@read',
      '+@connection',
      '+@scripting',
    );
  });

  after(async () => {
    await admin.call('ACL', 'DELUSER', user);
    await deleteByPrefix(keyPrefix);
    admin.disconnect();
  });

  it('refuses a must-record invalidation, so a revocation is not made while cached answers stay valid', async () => {
    const writer = new RedisCache({ url: serviceUrls.redis, keyPrefix });
    const url = new URL(serviceUrls.redis);
    url.username = user;
    url.password = 'readonly-password';
    const readOnly = new RedisCache({ url: url.toString(), keyPrefix });
    try {
      await writer.set('session', 'active', { ttlMs: 60_000, tags: ['session-tag'] });
      assert.equal(await readOnly.get('session'), 'active', 'reads still work');
      await readOnly.invalidateTags(['session-tag']); // dropped, as the port allows
      assert.equal(await readOnly.get('session'), 'active', 'the plain invalidation was lost');
      await assert.rejects(readOnly.invalidateTagsOrThrow(['session-tag']), CacheUnavailableError);
    } finally {
      await writer.close();
      await readOnly.close();
    }
  });
});

describe('MemoryCache bounds', () => {
  it('keeps at most maxEntries values, dropping the least recently used', async () => {
    const cache = new MemoryCache({ maxEntries: 2 });
    await cache.set('a', 1, { ttlMs: 60_000 });
    await cache.set('b', 2, { ttlMs: 60_000 });
    await cache.get('a'); // touch a: b is now the least recently used
    await cache.set('c', 3, { ttlMs: 60_000 });
    assert.deepEqual([await cache.get('a'), await cache.get('b'), await cache.get('c')], [1, undefined, 3]);
    await cache.close();
  });
});

/** Test cleanup only: SCAN is fine here, on a prefix no one else uses. */
async function deleteByPrefix(prefix: string): Promise<void> {
  const redis = new Redis(serviceUrls.redis);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}
