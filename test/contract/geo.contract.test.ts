import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { haversineKm } from '../../src/infra/geo/geo-math.js';
import {
  GeoIndexUnavailableError,
  InvalidGeoInputError,
  type DriverPosition,
  type GeoIndexPort,
  type NearbyDriver,
} from '../../src/infra/geo/geo.port.js';
import { MemoryGeoIndex } from '../../src/infra/geo/memory-geo-index.js';
import { RedisGeoIndex } from '../../src/infra/geo/redis-geo-index.js';
import { deleteRedisKeys } from '../support/infra.js';
import { requireService, serviceUrls, uniqueSuffix } from '../support/services.js';

/** Opens indexes for one suite. `open(name)` twice with one name gives two clients of one store. */
interface GeoFactory {
  open(name?: string): GeoIndexPort;
  cleanup?(): Promise<void>;
}

/** Redis keeps a 52-bit geohash of each position: coordinates and distances come back within a metre. */
const KM_TOLERANCE = 0.002;
const DEGREE_TOLERANCE = 2e-5;
const T0 = Date.parse('2026-01-01T12:00:00.000Z');
const FRESH_MS = 60_000;
/** Berlin, Alexanderplatz: a city-sized box around it holds the ordinary cases. */
const CENTRE = { lat: 52.5219, lng: 13.4132 };

const at = (offsetMs: number) => new Date(T0 + offsetMs);
/** A point `northKm` north and `eastKm` east of `from` (small distances). */
function offset(from: { lat: number; lng: number }, northKm: number, eastKm: number) {
  const kmPerDegree = 111.2;
  return {
    lat: from.lat + northKm / kmPerDegree,
    lng: from.lng + eastKm / (kmPerDegree * Math.cos((from.lat * Math.PI) / 180)),
  };
}
const driver = (driverId: string, point: { lat: number; lng: number }, time = at(0)): DriverPosition => ({
  driverId,
  ...point,
  at: time,
});
const ids = (drivers: readonly NearbyDriver[]) => drivers.map((d) => d.driverId);
const query = (point: { lat: number; lng: number }, radiusKm: number, limit = 10) => ({
  ...point,
  radiusKm,
  limit,
  freshWithinMs: FRESH_MS,
  now: at(1_000),
});

function geoContract(name: string, skip: false | string, shared: boolean, makeFactory: () => GeoFactory): void {
  describe(`GeoIndexPort contract: ${name}`, { skip }, () => {
    let factory: GeoFactory;
    const opened: GeoIndexPort[] = [];
    /** Every test starts from an empty index of its own. */
    const fresh = (shareName?: string) => {
      const index = factory.open(shareName);
      opened.push(index);
      return index;
    };

    before(() => {
      factory = makeFactory();
    });

    after(async () => {
      await Promise.all(opened.map((index) => index.close()));
      await factory.cleanup?.();
    });

    it('returns the nearest drivers first, with their distance, position and time', async () => {
      const geo = fresh();
      const far = offset(CENTRE, 2, 0);
      const near = offset(CENTRE, 0, 0.5);
      const middle = offset(CENTRE, -1, -0.3);
      await geo.upsert([driver('far', far, at(-3)), driver('near', near, at(-1)), driver('middle', middle, at(-2))]);
      const found = await geo.nearest(query(CENTRE, 5));
      assert.deepEqual(ids(found), ['near', 'middle', 'far']);
      const [first] = found;
      assert.ok(first);
      assert.ok(Math.abs(first.distanceKm - haversineKm(CENTRE, near)) < KM_TOLERANCE);
      assert.ok(Math.abs(first.distanceKm - 0.5) < 0.01, `${first.distanceKm}`);
      assert.ok(Math.abs(first.lat - near.lat) < DEGREE_TOLERANCE && Math.abs(first.lng - near.lng) < DEGREE_TOLERANCE);
      assert.deepEqual(first.at, at(-1));
      const distances = found.map((d) => d.distanceKm);
      assert.deepEqual(
        distances,
        [...distances].sort((a, b) => a - b),
      );
    });

    it('leaves out drivers beyond the radius', async () => {
      const geo = fresh();
      await geo.upsert([
        driver('inside', offset(CENTRE, 0, 2.9)),
        driver('outside', offset(CENTRE, 0, 3.1)),
        driver('far-away', { lat: 48.1372, lng: 11.5756 }), // Munich
      ]);
      assert.deepEqual(ids(await geo.nearest(query(CENTRE, 3))), ['inside']);
      assert.deepEqual(ids(await geo.nearest(query(CENTRE, 3.2))), ['inside', 'outside']);
      assert.deepEqual(ids(await geo.nearest(query(CENTRE, 0.5))), []);
      assert.deepEqual(ids(await geo.nearest(query(CENTRE, 600))), ['inside', 'outside', 'far-away']);
    });

    it('returns at most `limit` drivers, the nearest ones', async () => {
      const geo = fresh();
      await geo.upsert(Array.from({ length: 30 }, (_, i) => driver(`d${i}`, offset(CENTRE, 0, 0.1 * (i + 1)))));
      assert.deepEqual(ids(await geo.nearest(query(CENTRE, 10, 3))), ['d0', 'd1', 'd2']);
      assert.equal((await geo.nearest(query(CENTRE, 10, 100))).length, 30);
    });

    it('leaves out drivers whose last position is older than freshWithinMs before now', async () => {
      const geo = fresh();
      await geo.upsert([
        driver('stale', offset(CENTRE, 0, 0.1), at(-FRESH_MS - 1)),
        driver('edge', offset(CENTRE, 0, 0.2), at(-FRESH_MS)),
        driver('fresh', offset(CENTRE, 0, 0.3), at(0)),
      ]);
      const now = at(0);
      const base = { ...CENTRE, radiusKm: 5, limit: 10, now };
      assert.deepEqual(ids(await geo.nearest({ ...base, freshWithinMs: FRESH_MS })), ['edge', 'fresh']);
      assert.deepEqual(ids(await geo.nearest({ ...base, freshWithinMs: 0 })), ['fresh']);
      assert.deepEqual(ids(await geo.nearest({ ...base, now: at(FRESH_MS + 1), freshWithinMs: FRESH_MS })), []);
      // Stale drivers stay in the index until removed: the stale-driver job finds them there.
      assert.ok(await geo.position('stale'));
    });

    it('finds the nearest fresh drivers even when many nearer ones are stale', async () => {
      const geo = fresh();
      const stale = Array.from({ length: 60 }, (_, i) =>
        driver(`stale${i}`, offset(CENTRE, 0, 0.01 * (i + 1)), at(-10 * FRESH_MS)),
      );
      const live = Array.from({ length: 5 }, (_, i) => driver(`live${i}`, offset(CENTRE, 0, 1 + 0.1 * i)));
      await geo.upsert([...stale, ...live]);
      assert.deepEqual(ids(await geo.nearest(query(CENTRE, 5, 3))), ['live0', 'live1', 'live2']);
    });

    it('never moves a driver backwards when updates arrive out of order', async () => {
      const geo = fresh();
      const newer = offset(CENTRE, 1, 0);
      const older = offset(CENTRE, -1, 0);
      assert.equal(await geo.upsert([driver('d', newer, at(-1_000))]), 1);
      assert.equal(await geo.upsert([driver('d', older, at(-2_000))]), 0, 'an older position is not applied');
      const held = await geo.position('d');
      assert.ok(held);
      assert.ok(Math.abs(held.lat - newer.lat) < DEGREE_TOLERANCE);
      assert.deepEqual(held.at, at(-1_000));
      // The same time again applies (a retried batch), and within one batch the later entry wins.
      assert.equal(await geo.upsert([driver('d', older, at(-1_000))]), 1);
      assert.ok(Math.abs((await geo.position('d'))!.lat - older.lat) < DEGREE_TOLERANCE);
      assert.equal(await geo.upsert([driver('d', newer, at(-500)), driver('d', older, at(-900))]), 1);
      assert.ok(Math.abs((await geo.position('d'))!.lat - newer.lat) < DEGREE_TOLERANCE);
      assert.equal(await geo.upsert([driver('d', older, at(-400)), driver('d', newer, at(-300))]), 2);
      assert.deepEqual((await geo.position('d'))?.at, at(-300));
      assert.ok(Math.abs((await geo.position('d'))!.lat - newer.lat) < DEGREE_TOLERANCE);
      // The stale check sees the newest time too: an old position cannot make a driver look silent.
      assert.deepEqual(await geo.staleSince(at(-300), 10), []);
    });

    it('removes a driver, and with seenBefore only one that stayed silent', async () => {
      const geo = fresh();
      await geo.upsert([driver('gone', offset(CENTRE, 0, 0.1), at(-5_000)), driver('kept', offset(CENTRE, 0, 0.2))]);
      assert.equal(await geo.remove('gone'), true);
      assert.equal(await geo.remove('gone'), false, 'already gone');
      assert.equal(await geo.remove('never-there'), false);
      assert.equal(await geo.position('gone'), undefined);
      assert.deepEqual(ids(await geo.nearest(query(CENTRE, 5))), ['kept']);
      assert.deepEqual(await geo.staleSince(at(1), 10), ['kept']);

      // The driver reported again after the stale job read its time: it is not removed.
      assert.equal(await geo.remove('kept', { seenBefore: at(0) }), false);
      assert.equal(await geo.remove('kept', { seenBefore: at(1) }), true);
      assert.deepEqual(ids(await geo.nearest(query(CENTRE, 5))), []);
      // A removed driver can come back with any time.
      await geo.upsert([driver('gone', offset(CENTRE, 0, 0.1), at(-9_000))]);
      assert.deepEqual((await geo.position('gone'))?.at, at(-9_000));
    });

    it('applies a large batch in one call', async () => {
      const geo = fresh();
      const batch = Array.from({ length: 1_234 }, (_, i) =>
        driver(`b${i}`, offset(CENTRE, ((i % 37) - 18) * 0.2, (Math.floor(i / 37) - 17) * 0.2), at(-i)),
      );
      assert.equal(await geo.upsert(batch), batch.length);
      assert.equal(await geo.upsert([]), 0);
      assert.equal((await geo.nearest(query(CENTRE, 50, 2_000))).length, batch.length);
      const last = await geo.position('b1233');
      assert.deepEqual(last?.at, at(-1_233));
    });

    it('lists drivers silent since a cutoff, oldest first, at most `limit`', async () => {
      const geo = fresh();
      await geo.upsert([
        driver('s3', offset(CENTRE, 0, 0.3), at(-3_000)),
        driver('s1', offset(CENTRE, 0, 0.1), at(-1_000)),
        driver('s2', offset(CENTRE, 0, 0.2), at(-2_000)),
        driver('now', offset(CENTRE, 0, 0.4), at(0)),
      ]);
      assert.deepEqual(await geo.staleSince(at(-500), 10), ['s3', 's2', 's1']);
      assert.deepEqual(await geo.staleSince(at(-500), 2), ['s3', 's2']);
      assert.deepEqual(await geo.staleSince(at(-2_000), 10), ['s3'], 'the cutoff itself is not stale');
      assert.deepEqual(await geo.staleSince(at(-10_000), 10), []);
    });

    it('agrees with a brute-force scan on random drivers and queries', async () => {
      const geo = fresh();
      const random = seeded(42);
      const drivers = Array.from({ length: 3_000 }, (_, i) =>
        driver(`r${i}`, offset(CENTRE, (random() - 0.5) * 30, (random() - 0.5) * 30), at(-random() * 2 * FRESH_MS)),
      );
      await geo.upsert(drivers);
      for (let q = 0; q < 40; q++) {
        const centre = offset(CENTRE, (random() - 0.5) * 34, (random() - 0.5) * 34);
        const radiusKm = 0.2 + random() * 6;
        const limit = 1 + Math.floor(random() * 15);
        const found = await geo.nearest({ ...centre, radiusKm, limit, freshWithinMs: FRESH_MS, now: at(0) });
        assertNearest(found, drivers, { ...centre, radiusKm, limit, freshFrom: T0 - FRESH_MS });
      }
    });

    it('searches across the antimeridian', async () => {
      const geo = fresh();
      await geo.upsert([
        driver('east', { lat: -17.8, lng: 179.99 }),
        driver('west', { lat: -17.8, lng: -179.99 }),
        driver('on-180', { lat: -17.81, lng: 180 }),
        driver('on-minus-180', { lat: -17.79, lng: -180 }),
      ]);
      for (const lng of [180, -180, 179.995, -179.995]) {
        const found = await geo.nearest(query({ lat: -17.8, lng }, 5));
        assert.deepEqual(ids(found).sort(), ['east', 'on-180', 'on-minus-180', 'west'], `from longitude ${lng}`);
        for (const d of found) assert.ok(d.distanceKm < 2.5, `${d.driverId} at ${d.distanceKm} km from ${lng}`);
      }
      const onMeridian = await geo.position('on-180');
      assert.ok(onMeridian && Math.abs(Math.abs(onMeridian.lng) - 180) < DEGREE_TOLERANCE);
    });

    it('handles positions and queries near and at the poles', async () => {
      const geo = fresh();
      await geo.upsert([
        driver('north-a', { lat: 89.99, lng: 0 }),
        driver('north-b', { lat: 89.98, lng: 180 }), // 3.3 km from north-a, across the pole
        driver('pole', { lat: 90, lng: 45 }),
        driver('high', { lat: 85.5, lng: 10 }),
        driver('below-edge', { lat: 84.9, lng: 10 }),
        driver('south', { lat: -89.5, lng: -120 }),
      ]);
      assert.deepEqual(ids(await geo.nearest(query({ lat: 90, lng: 0 }, 5))), ['pole', 'north-a', 'north-b']);
      assert.deepEqual(ids(await geo.nearest(query({ lat: 89.99, lng: 0 }, 4))), ['north-a', 'pole', 'north-b']);
      assert.deepEqual(ids(await geo.nearest(query({ lat: 85.3, lng: 10 }, 50))), ['high', 'below-edge']);
      assert.deepEqual(ids(await geo.nearest(query({ lat: 84.95, lng: 10 }, 70, 1))), ['below-edge']);
      const wide = await geo.nearest(query({ lat: 88, lng: 10 }, 400));
      assert.deepEqual(ids(wide), ['north-a', 'pole', 'north-b', 'high', 'below-edge']);
      assert.deepEqual(ids(await geo.nearest(query({ lat: -90, lng: 0 }, 100))), ['south']);
      const pole = await geo.position('pole');
      assert.ok(pole && Math.abs(pole.lat - 90) < DEGREE_TOLERANCE);
      // Moving in and out of the polar band keeps one position per driver.
      await geo.upsert([driver('high', { lat: 84.5, lng: 10 }, at(1))]);
      assert.deepEqual(ids(await geo.nearest(query({ lat: 85.5, lng: 10 }, 10))), []);
      await geo.upsert([driver('high', { lat: 86, lng: 10 }, at(2))]);
      assert.deepEqual(ids(await geo.nearest(query({ lat: 84.5, lng: 10 }, 10))), []);
      assert.deepEqual(ids(await geo.nearest(query({ lat: 86, lng: 10 }, 10))), ['high']);
    });

    it('rejects invalid coordinates, radii and limits, and writes none of a bad batch', async () => {
      const geo = fresh();
      const bad: [number, number][] = [
        [90.000001, 0],
        [-91, 0],
        [0, 180.5],
        [0, -181],
        [Number.NaN, 0],
        [0, Number.POSITIVE_INFINITY],
      ];
      for (const [lat, lng] of bad) {
        await assert.rejects(
          geo.upsert([driver('ok', CENTRE), driver('bad', { lat, lng })]),
          InvalidGeoInputError,
          `position ${lat},${lng}`,
        );
        await assert.rejects(geo.nearest(query({ lat, lng }, 1)), InvalidGeoInputError, `query ${lat},${lng}`);
      }
      assert.equal(await geo.position('ok'), undefined, 'the valid half of a rejected batch was not written');
      await assert.rejects(geo.upsert([{ driverId: 'd', ...CENTRE, at: new Date(Number.NaN) }]), InvalidGeoInputError);
      await assert.rejects(geo.upsert([{ driverId: '', ...CENTRE, at: at(0) }]), InvalidGeoInputError);
      await assert.rejects(geo.nearest(query(CENTRE, 0)), InvalidGeoInputError);
      await assert.rejects(geo.nearest(query(CENTRE, Number.NaN)), InvalidGeoInputError);
      await assert.rejects(geo.nearest(query(CENTRE, 1, 0)), InvalidGeoInputError);
      await assert.rejects(geo.nearest(query(CENTRE, 1, 1.5)), InvalidGeoInputError);
      await assert.rejects(geo.nearest({ ...query(CENTRE, 1), freshWithinMs: -1 }), InvalidGeoInputError);
      await assert.rejects(geo.staleSince(at(0), 0), InvalidGeoInputError);
      await assert.rejects(
        geo.nearest(query({ lat: 91, lng: 0 }, 1)),
        /latitude must be a finite number within \[-90, 90\], got 91/,
      );
      // The limits themselves are valid.
      await geo.upsert([driver('corner', { lat: -90, lng: -180 }), driver('corner2', { lat: 90, lng: 180 })]);
      assert.equal((await geo.nearest(query({ lat: -90, lng: 180 }, 1))).length, 1);
    });

    it('is healthy while its store answers', async () => {
      assert.equal(await fresh().isHealthy(), true);
    });

    // Only a store shared between processes has this property; an in-process index has no second client.
    if (shared) {
      it('shares positions between clients of one store', async () => {
        const one = fresh('shared');
        const other = fresh('shared');
        await one.upsert([driver('d', offset(CENTRE, 0, 0.5))]);
        assert.deepEqual(ids(await other.nearest(query(CENTRE, 1))), ['d']);
        assert.equal(await other.upsert([driver('d', offset(CENTRE, 0, 0.6), at(-1))]), 0);
        assert.equal(await other.remove('d'), true);
        assert.equal(await one.position('d'), undefined);
      });
    }
  });
}

/**
 * What a correct answer looks like, checked against the true positions with the store's rounding
 * allowed for: every driver returned is fresh and within the radius, in order; and no fresh driver
 * clearly nearer than the last one returned (or, when fewer than `limit` came back, clearly within the
 * radius) was left out.
 */
function assertNearest(
  found: readonly NearbyDriver[],
  drivers: readonly DriverPosition[],
  q: { lat: number; lng: number; radiusKm: number; limit: number; freshFrom: number },
): void {
  const where = `query ${q.lat.toFixed(5)},${q.lng.toFixed(5)} r=${q.radiusKm.toFixed(3)} limit=${q.limit}`;
  const byId = new Map(drivers.map((d) => [d.driverId, d]));
  assert.ok(found.length <= q.limit, where);
  let previous = 0;
  for (const hit of found) {
    const truth = byId.get(hit.driverId);
    assert.ok(truth, `${where}: unknown driver ${hit.driverId}`);
    assert.ok(truth.at.getTime() >= q.freshFrom, `${where}: stale ${hit.driverId}`);
    const distance = haversineKm(q, truth);
    assert.ok(Math.abs(distance - hit.distanceKm) < KM_TOLERANCE, `${where}: distance of ${hit.driverId}`);
    assert.ok(distance <= q.radiusKm + KM_TOLERANCE, `${where}: ${hit.driverId} beyond the radius`);
    assert.ok(hit.distanceKm >= previous - KM_TOLERANCE, `${where}: out of order at ${hit.driverId}`);
    previous = hit.distanceKm;
  }
  const bound = found.length === q.limit ? previous : q.radiusKm;
  const returned = new Set(ids(found));
  for (const d of drivers) {
    if (d.at.getTime() < q.freshFrom || returned.has(d.driverId)) continue;
    const distance = haversineKm(q, d);
    assert.ok(distance > bound - KM_TOLERANCE, `${where}: left out ${d.driverId} at ${distance} km`);
  }
}

/** A small deterministic generator (mulberry32), so a failure reproduces. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

geoContract('MemoryGeoIndex', false, false, () => ({ open: () => new MemoryGeoIndex() }));
// A coarse grid: queries walk many cells and fall back to walking occupied ones; answers must not change.
geoContract('MemoryGeoIndex (1° cells)', false, false, () => ({ open: () => new MemoryGeoIndex({ cellDegrees: 1 }) }));

const redisSkip = await requireService('redis');

geoContract('RedisGeoIndex', redisSkip, true, () => {
  const suitePrefix = `ordo-test:geo:${uniqueSuffix()}:`;
  let n = 0;
  return {
    open: (name) => new RedisGeoIndex({ url: serviceUrls.redis, keyPrefix: `${suitePrefix}${name ?? ++n}:` }),
    cleanup: () => deleteRedisKeys(suitePrefix),
  };
});

describe('RedisGeoIndex keys', { skip: redisSkip }, () => {
  it('keeps everything in three documented keys under the prefix, one hash slot', async () => {
    const keyPrefix = `ordo-test:geo:${uniqueSuffix()}:`;
    const geo = new RedisGeoIndex({ url: serviceUrls.redis, keyPrefix });
    const redis = new Redis(serviceUrls.redis);
    try {
      await geo.upsert([driver('a', CENTRE), driver('b', { lat: 88, lng: 0 })]);
      const keys = await redis.keys(`${keyPrefix}*`);
      assert.deepEqual(
        keys.sort(),
        ['polar', 'positions', 'seen'].map((k) => `${keyPrefix}geo:{drivers}:${k}`),
      );
      assert.equal(await redis.zscore(`${keyPrefix}geo:{drivers}:seen`, 'a'), String(T0));
    } finally {
      await geo.close();
      await redis.quit();
      await deleteRedisKeys(keyPrefix);
    }
  });
});

describe('RedisGeoIndex with Redis down', () => {
  it('rejects quickly with GeoIndexUnavailableError instead of answering "nobody nearby"', async () => {
    // Port 1: nothing listens, so the connection is refused at once.
    const geo = new RedisGeoIndex({ url: 'redis://127.0.0.1:1', keyPrefix: 'down:' });
    const started = Date.now();
    await assert.rejects(geo.upsert([driver('d', CENTRE)]), GeoIndexUnavailableError);
    await assert.rejects(geo.nearest(query(CENTRE, 1)), GeoIndexUnavailableError);
    await assert.rejects(geo.position('d'), GeoIndexUnavailableError);
    await assert.rejects(geo.staleSince(at(0), 10), GeoIndexUnavailableError);
    await assert.rejects(geo.remove('d'), GeoIndexUnavailableError);
    assert.equal(await geo.isHealthy(), false);
    assert.ok(Date.now() - started < 1_500, `took ${Date.now() - started} ms`);
    await geo.close();
  });
});
