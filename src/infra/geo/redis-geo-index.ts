import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  assertCutoff,
  assertDriverId,
  assertLimit,
  assertPositions,
  assertQuery,
  boundingBox,
  haversineKm,
} from './geo-math.js';
import {
  GeoIndexUnavailableError,
  type DriverPosition,
  type GeoIndexPort,
  type NearbyDriver,
  type NearestQuery,
} from './geo.port.js';
import { closeRedis, redisAnswers, settleFirstConnect } from '../redis/redis-lifecycle.js';

export interface RedisGeoIndexOptions {
  url: string;
  /** REDIS_KEY_PREFIX: put before every key, so environments and test files never collide. */
  keyPrefix: string;
  logger?: Logger;
}

/**
 * Redis GEO accepts latitudes up to ±85.05112878 (Web Mercator), and its edge cells misbehave even
 * inside that: measured on 7.0, a member at exactly 85.05112878 (or at longitude 180) was missed by
 * GEOSEARCH from a few km away. Positions beyond ±85° go to a plain hash instead and are searched by
 * haversine; nobody dispatches there, so that hash stays empty in practice.
 */
export const GEO_LATITUDE_LIMIT = 85;
/**
 * The first radius a nearest search reads (see NEAREST_LUA). Small enough to be cheap in a dense
 * city (10 drivers lie within ~200 m at 100k drivers over 900 km²), large enough that a sparse one
 * needs only a doubling or two.
 */
const FIRST_REACH_KM = 0.5;
/** Positions per script call: one call blocks Redis while it runs, so a big batch goes in slices. */
const UPSERT_CHUNK = 500;
/** One outage makes every call fail; one warning per this many ms tells the operator enough. */
const WARN_EVERY_MS = 5_000;
/** Calls made before the first connection settles wait this long at most, then fail. */
const FIRST_CONNECT_WAIT_MS = 1_000;

// KEYS: positions (GEO), seen (zset driver -> epoch ms), polar (hash driver -> "lng,lat").
// ARGV: 5 per position: id, lng, lat, at, "1" when it belongs in the polar hash.
// Timestamp and position change in one script, so no reader sees one without the other. Positions
// apply in order; one whose `at` is older than the driver's newest (stored, or earlier in this batch)
// is skipped, so updates arriving out of order never move a driver back. Only each driver's last
// applied position is written, with one GEOADD and one ZADD for the whole slice (measured about 1.5×
// the throughput of ZSCORE + GEOADD + ZADD per position).
const UPSERT_LUA = `
local n = #ARGV / 5
local ids = {}
for k = 1, n do ids[k] = ARGV[(k - 1) * 5 + 1] end
local stored = redis.call('ZMSCORE', KEYS[2], unpack(ids))
local newest, last = {}, {}
local applied = 0
for k = 1, n do
  local id = ids[k]
  local at = tonumber(ARGV[(k - 1) * 5 + 4])
  local before = newest[id]
  if before == nil and stored[k] then before = tonumber(stored[k]) end
  if not before or at >= before then
    newest[id] = at
    last[id] = k
    applied = applied + 1
  end
end
if applied == 0 then return 0 end
local geo, seen, inGeo = {}, {}, {}
local hasPolar = redis.call('EXISTS', KEYS[3]) == 1
for k = 1, n do
  local id = ids[k]
  if last[id] == k then
    local i = (k - 1) * 5
    seen[#seen + 1] = ARGV[i + 4]
    seen[#seen + 1] = id
    if ARGV[i + 5] == '1' then
      redis.call('ZREM', KEYS[1], id)
      redis.call('HSET', KEYS[3], id, ARGV[i + 2] .. ',' .. ARGV[i + 3])
    else
      geo[#geo + 1] = ARGV[i + 2]
      geo[#geo + 1] = ARGV[i + 3]
      geo[#geo + 1] = id
      inGeo[#inGeo + 1] = id
    end
  end
end
if #geo > 0 then
  redis.call('GEOADD', KEYS[1], unpack(geo))
  if hasPolar then redis.call('HDEL', KEYS[3], unpack(inGeo)) end
end
redis.call('ZADD', KEYS[2], unpack(seen))
return applied`;

// KEYS: positions, seen. ARGV: lng, lat, radius km, limit (0: all), fresh-from ms, count (0: no COUNT),
// first reach km. GEOSEARCH reads every member in the geohash cells around its circle, so one search
// over the whole radius costs as much as the drivers in it (~3,000 within 3 km of a 100k-driver city).
// Instead the search starts at `reach` and doubles it until `limit` fresh drivers lie within it, as
// the memory index does: drivers within `reach` are all seen, in order, so the first `limit` fresh
// ones are the answer. Stale members are skipped by their `seen` score; when COUNT cut a search short
// before `limit` fresh ones were found, it runs again with four times the count at the same reach.
// One round trip, one consistent snapshot.
const NEAREST_LUA = `
local radius = tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
local freshFrom = tonumber(ARGV[5])
local count = tonumber(ARGV[6])
local reach = math.min(radius, tonumber(ARGV[7]))
while true do
  local hits
  if count > 0 then
    hits = redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', ARGV[1], ARGV[2], 'BYRADIUS', reach, 'km',
      'ASC', 'COUNT', count, 'WITHCOORD')
  else
    hits = redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', ARGV[1], ARGV[2], 'BYRADIUS', reach, 'km',
      'ASC', 'WITHCOORD')
  end
  local fresh = {}
  for _, hit in ipairs(hits) do
    local at = redis.call('ZSCORE', KEYS[2], hit[1])
    if at and tonumber(at) >= freshFrom then
      fresh[#fresh + 1] = { hit[1], hit[2][1], hit[2][2], at }
      if #fresh == limit then return fresh end
    end
  end
  if count > 0 and #hits == count then
    count = count * 4
  elseif reach < radius then
    reach = math.min(radius, reach * 2)
  else
    return fresh
  end
end`;

// KEYS: polar, seen. ARGV: fresh-from ms. Every fresh polar entry (the hash is empty or tiny).
const POLAR_LUA = `
local out = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local at = redis.call('ZSCORE', KEYS[2], all[i])
  if at and tonumber(at) >= tonumber(ARGV[1]) then out[#out + 1] = { all[i], all[i + 1], at } end
end
return out`;

// KEYS: positions, seen, polar. ARGV: id, seen-before ms or "". Compare-and-delete for the stale job.
const REMOVE_LUA = `
local seen = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not seen then return 0 end
if ARGV[2] ~= '' and tonumber(seen) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return 1`;

type NearestRow = [id: string, lng: string, lat: string, at: string];
type PolarRow = [id: string, lngLat: string, at: string];

/** Commands ioredis defines from the `scripts` option (EVALSHA, falling back to EVAL). */
interface Scripts {
  geoUpsert(positions: string, seen: string, polar: string, ...args: string[]): Promise<number>;
  geoNearest(positions: string, seen: string, ...args: string[]): Promise<NearestRow[]>;
  geoPolar(polar: string, seen: string, freshFrom: string): Promise<PolarRow[]>;
  geoRemove(positions: string, seen: string, polar: string, id: string, seenBefore: string): Promise<number>;
}

/**
 * The Redis index, shared by every process on the same Redis and key prefix. Three keys under
 * REDIS_KEY_PREFIX, with one hash tag so a Redis Cluster keeps them in one slot (scripts touch all three):
 *
 * - `geo:{drivers}:positions` — GEO set, member = driver id (GEOADD / GEOSEARCH);
 * - `geo:{drivers}:seen` — sorted set, member = driver id, score = `at` in epoch ms (freshness,
 *   out-of-order checks, `staleSince`);
 * - `geo:{drivers}:polar` — hash, driver id → "lng,lat", for positions beyond ±85° (see GEO_LATITUDE_LIMIT).
 *
 * A driver is in `seen` exactly when it is in one of the other two: every write goes through a script.
 * Nothing expires by itself; the stale-driver job removes silent drivers (`staleSince` + `remove`).
 * Needs Redis 6.2 or later (GEOSEARCH, ZMSCORE).
 * Fails fast (no offline queue, no retries, short timeouts) and rejects with GeoIndexUnavailableError
 * while Redis is away; ioredis keeps reconnecting in the background.
 */
export class RedisGeoIndex implements GeoIndexPort {
  readonly kind = 'redis' as const;
  private readonly redis: Redis & Scripts;
  private readonly keys: { positions: string; seen: string; polar: string };
  private readonly firstConnect: Promise<void>;
  private lastWarnAt = 0;

  constructor(private readonly options: RedisGeoIndexOptions) {
    const base = `${options.keyPrefix}geo:{drivers}:`;
    this.keys = { positions: `${base}positions`, seen: `${base}seen`, polar: `${base}polar` };
    this.redis = new Redis(options.url, {
      protocol: 2, // as the cache: strings, integers and arrays only; no HELLO round trip
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // Longer than the cache's: a write of UPSERT_CHUNK positions or a search over a dense city is
      // about a millisecond of Redis time, but it queues behind everyone else's.
      commandTimeout: 1_000,
      socketTimeout: 2_000,
      connectTimeout: 2_000,
      retryStrategy: (times) => Math.min(100 * 2 ** times, 5_000),
      scripts: {
        geoUpsert: { lua: UPSERT_LUA, numberOfKeys: 3 },
        geoNearest: { lua: NEAREST_LUA, numberOfKeys: 2, readOnly: true },
        geoPolar: { lua: POLAR_LUA, numberOfKeys: 2, readOnly: true },
        geoRemove: { lua: REMOVE_LUA, numberOfKeys: 3 },
      },
    }) as Redis & Scripts;
    this.redis.on('error', (error: Error) => this.warn(error));
    this.firstConnect = settleFirstConnect(this.redis, FIRST_CONNECT_WAIT_MS);
  }

  async upsert(positions: readonly DriverPosition[]): Promise<number> {
    assertPositions(positions);
    if (positions.length === 0) return 0;
    const { positions: geo, seen, polar } = this.keys;
    const slices: string[][] = [];
    for (let start = 0; start < positions.length; start += UPSERT_CHUNK) {
      const args: string[] = [];
      for (const { driverId, lat, lng, at } of positions.slice(start, start + UPSERT_CHUNK)) {
        // 180 and -180 are one meridian; Redis files 180 in an edge cell its searches miss.
        const longitude = lng === 180 ? -180 : lng;
        const isPolar = Math.abs(lat) > GEO_LATITUDE_LIMIT ? '1' : '0';
        args.push(driverId, String(longitude), String(lat), String(at.getTime()), isPolar);
      }
      slices.push(args);
    }
    return this.attempt(async () => {
      // Sent back to back on one connection, so slices (and one driver's positions) apply in order.
      const applied = await Promise.all(slices.map((args) => this.redis.geoUpsert(geo, seen, polar, ...args)));
      return applied.reduce((sum, count) => sum + count, 0);
    });
  }

  async remove(driverId: string, options: { seenBefore?: Date } = {}): Promise<boolean> {
    assertDriverId(driverId);
    if (options.seenBefore) assertCutoff(options.seenBefore, 'remove: seenBefore');
    const { positions, seen, polar } = this.keys;
    const before = options.seenBefore ? String(options.seenBefore.getTime()) : '';
    return this.attempt(async () => (await this.redis.geoRemove(positions, seen, polar, driverId, before)) === 1);
  }

  async nearest(query: NearestQuery): Promise<NearbyDriver[]> {
    const freshFrom = assertQuery(query);
    const { lat, lng, radiusKm, limit } = query;
    const box = boundingBox(lat, lng, radiusKm);
    if (box.latMax <= GEO_LATITUDE_LIMIT && box.latMin >= -GEO_LATITUDE_LIMIT) {
      // The common case: Redis does the searching, sorting and limiting.
      const rows = await this.attempt(() => this.searchGeo(lng, lat, radiusKm, limit, freshFrom));
      return rows.map((row) => nearbyFromGeo(row, lat, lng));
    }
    return this.attempt(() => this.nearestNearPole(query, freshFrom));
  }

  async position(driverId: string): Promise<DriverPosition | undefined> {
    assertDriverId(driverId);
    const { positions, seen, polar } = this.keys;
    const replies = await this.attempt(() =>
      this.redis.multi().geopos(positions, driverId).hget(polar, driverId).zscore(seen, driverId).exec(),
    );
    const [geo, polarValue, at] = (replies ?? []).map(([error, value]) => {
      if (error) throw error;
      return value;
    }) as [([string, string] | null)[], string | null, string | null];
    if (at === null) return undefined;
    const [lngText, latText] = polarValue?.split(',') ?? geo[0] ?? [];
    if (lngText === undefined || latText === undefined) return undefined;
    return { driverId, lat: Number(latText), lng: Number(lngText), at: new Date(Number(at)) };
  }

  async staleSince(cutoff: Date, limit: number): Promise<string[]> {
    assertCutoff(cutoff, 'staleSince: cutoff');
    assertLimit(limit, 'staleSince');
    return this.attempt(() =>
      this.redis.zrangebyscore(this.keys.seen, '-inf', `(${cutoff.getTime()}`, 'LIMIT', 0, limit),
    );
  }

  isHealthy(): Promise<boolean> {
    return redisAnswers(this.redis, this.firstConnect);
  }

  close(): Promise<void> {
    return closeRedis(this.redis);
  }

  /** `limit` 0: every fresh driver within the radius, searched in one go. */
  private searchGeo(lng: number, lat: number, radiusKm: number, limit: number, freshFrom: number) {
    const { positions, seen } = this.keys;
    // Twice the limit first: room for a few stale drivers without a second search.
    const count = limit === 0 ? 0 : limit * 2;
    const reach = limit === 0 ? radiusKm : FIRST_REACH_KM;
    const args = [lng === 180 ? -180 : lng, lat, radiusKm, limit, freshFrom, count, reach].map(String);
    return this.redis.geoNearest(positions, seen, ...args);
  }

  /**
   * The query's circle reaches beyond ±85°: the GEO set covers the part up to 85°, the polar hash the
   * rest. A centre beyond 85° cannot be given to GEOSEARCH, so the search starts from the nearest
   * point at 85° with the radius grown by the distance to it (which holds every point of the circle),
   * and exact distances are measured here.
   */
  private async nearestNearPole(query: NearestQuery, freshFrom: number): Promise<NearbyDriver[]> {
    const { lat, lng, radiusKm, limit } = query;
    const found: NearbyDriver[] = [];
    if (Math.abs(lat) <= GEO_LATITUDE_LIMIT) {
      const rows = await this.searchGeo(lng, lat, radiusKm, limit, freshFrom);
      found.push(...rows.map((row) => nearbyFromGeo(row, lat, lng)));
    } else {
      const edge = Math.sign(lat) * GEO_LATITUDE_LIMIT;
      const detour = haversineKm({ lat, lng }, { lat: edge, lng });
      if (detour <= radiusKm) {
        const rows = await this.searchGeo(lng, edge, radiusKm + detour, 0, freshFrom);
        for (const row of rows) {
          const driver = nearbyFromGeo(row, lat, lng);
          if (driver.distanceKm <= radiusKm) found.push(driver);
        }
      }
    }
    for (const [driverId, lngLat, at] of await this.redis.geoPolar(
      this.keys.polar,
      this.keys.seen,
      String(freshFrom),
    )) {
      const [driverLng = Number.NaN, driverLat = Number.NaN] = lngLat.split(',').map(Number);
      const distanceKm = haversineKm({ lat, lng }, { lat: driverLat, lng: driverLng });
      if (distanceKm <= radiusKm) {
        found.push({ driverId, lat: driverLat, lng: driverLng, at: new Date(Number(at)), distanceKm });
      }
    }
    return found.sort((a, b) => a.distanceKm - b.distanceKm).slice(0, limit);
  }

  /** Runs one Redis operation; a failure becomes GeoIndexUnavailableError, with the cause attached. */
  private async attempt<R>(run: () => Promise<R>): Promise<R> {
    await this.firstConnect;
    try {
      return await run();
    } catch (error) {
      this.warn(error);
      const reason = error instanceof Error ? error.message : String(error);
      throw new GeoIndexUnavailableError(`geo index: Redis did not answer (${reason})`, { cause: error });
    }
  }

  private warn(error: unknown): void {
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    this.options.logger?.warn(
      { err: error },
      'geo index: Redis unavailable; driver positions cannot be read or written',
    );
  }
}

/** Coordinates as Redis decoded them from its geohash; the distance measured here, as in memory. */
function nearbyFromGeo([driverId, lngText, latText, at]: NearestRow, lat: number, lng: number): NearbyDriver {
  const driverLat = Number(latText);
  const driverLng = Number(lngText);
  return {
    driverId,
    lat: driverLat,
    lng: driverLng,
    at: new Date(Number(at)),
    distanceKm: haversineKm({ lat, lng }, { lat: driverLat, lng: driverLng }),
  };
}
