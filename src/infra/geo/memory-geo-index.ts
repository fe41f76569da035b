import {
  assertCutoff,
  assertDriverId,
  assertLimit,
  assertPositions,
  assertQuery,
  boundingBox,
  cosLatitude,
  EARTH_RADIUS_KM,
  haversineTerm,
  kmOfTerm,
  termOfKm,
  type BoundingBox,
} from './geo-math.js';
import type { DriverPosition, GeoIndexPort, NearbyDriver, NearestQuery } from './geo.port.js';

export interface MemoryGeoIndexOptions {
  /**
   * Side of a grid cell, in degrees of latitude and of longitude; also the first radius a query reads.
   * Smaller cells read fewer drivers per query in dense areas and probe more (empty) cells for wide
   * radii in sparse ones. Measured at 100k drivers over 30 × 30 km, nearest-10 within 3 km cost about
   * 50 µs of CPU with 0.0025°, 100 µs with 0.005° and 300 µs with 0.01°.
   */
  cellDegrees?: number;
}

/** About 280 m north–south. */
const DEFAULT_CELL_DEGREES = 0.0025;

interface Entry {
  driverId: string;
  lat: number;
  lng: number;
  /** Kept for the distance formula: one cosine per update instead of one per candidate per query. */
  cosLat: number;
  /** Epoch ms. */
  at: number;
  /** Grid cell, and position in that cell's array. */
  row: number;
  column: number;
  slot: number;
}

/** The cells a search box covers: rows `rowMin..rowMax`, `columnCount` columns from `firstColumn` (wrapping). */
interface CellRange {
  rowMin: number;
  rowMax: number;
  firstColumn: number;
  columnCount: number;
}

interface Candidate {
  entry: Entry;
  /** haversineTerm from the query point: ordered as the distance is. */
  term: number;
}

/**
 * The in-process index: one Node process, nothing shared (the embedded default, DESIGN §4).
 *
 * A hand-written uniform grid over latitude/longitude, not a library. The index is written far more
 * often than it is read (every online driver reports every few seconds), so it must update in place:
 * kdbush/geokdbush and flatbush are static (each update would rebuild the tree — milliseconds at 100k
 * points); rbush is dynamic, but its k-nearest companion (rbush-knn) measures planar distance in
 * degrees, which misorders east–west against north–south away from the equator, so an exact query
 * there means reading every point in the radius's box. The grid moves a driver with two array
 * operations and answers "k nearest within r" by widening the searched box (doubling, like dispatch's
 * own 1 → 2 → 4 → 8 km) until k fresh drivers lie within the box's inscribed radius, so a query reads
 * roughly the drivers near the k-th nearest, not the whole radius.
 *
 * Near a pole every longitude is in range, and a box may cover more cells than are occupied; then the
 * occupied rows and cells are walked instead of the box, so cost stays bounded by the drivers held.
 */
export class MemoryGeoIndex implements GeoIndexPort {
  readonly kind = 'memory' as const;
  private readonly drivers = new Map<string, Entry>();
  /**
   * Row → column → drivers in that cell. Two levels, not one key of row * columns + column: that key
   * passes 2^30 and V8 would box every one as a heap number, which made lookups the hot spot.
   */
  private readonly grid = new Map<number, Map<number, Entry[]>>();
  private readonly columns: number;
  private readonly rows: number;
  /** North–south size of a cell: the first radius a query searches. */
  private readonly cellKm: number;

  constructor(options: MemoryGeoIndexOptions = {}) {
    const degrees = options.cellDegrees ?? DEFAULT_CELL_DEGREES;
    if (!(degrees > 0 && degrees <= 10)) throw new RangeError(`cellDegrees must be within (0, 10], got ${degrees}`);
    this.columns = Math.round(360 / degrees);
    this.rows = Math.ceil(180 / degrees);
    this.cellKm = ((180 / this.rows) * Math.PI * EARTH_RADIUS_KM) / 180;
  }

  async upsert(positions: readonly DriverPosition[]): Promise<number> {
    assertPositions(positions);
    let applied = 0;
    for (const { driverId, lat, lng, at } of positions) {
      const time = at.getTime();
      const row = this.rowOf(lat);
      const column = this.columnOf(lng);
      const entry = this.drivers.get(driverId);
      if (!entry) {
        const created: Entry = { driverId, lat, lng, cosLat: cosLatitude(lat), at: time, row, column, slot: 0 };
        this.drivers.set(driverId, created);
        this.link(created);
      } else {
        if (time < entry.at) continue; // out of order: the index already holds a newer position
        entry.lat = lat;
        entry.lng = lng;
        entry.cosLat = cosLatitude(lat);
        entry.at = time;
        if (row !== entry.row || column !== entry.column) {
          this.unlink(entry);
          entry.row = row;
          entry.column = column;
          this.link(entry);
        }
      }
      applied++;
    }
    return applied;
  }

  async remove(driverId: string, options: { seenBefore?: Date } = {}): Promise<boolean> {
    assertDriverId(driverId);
    if (options.seenBefore) assertCutoff(options.seenBefore, 'remove: seenBefore');
    const entry = this.drivers.get(driverId);
    if (!entry) return false;
    if (options.seenBefore && entry.at >= options.seenBefore.getTime()) return false;
    this.unlink(entry);
    this.drivers.delete(driverId);
    return true;
  }

  async nearest(query: NearestQuery): Promise<NearbyDriver[]> {
    const freshFrom = assertQuery(query);
    const { lat, lng, radiusKm, limit } = query;
    const found: Candidate[] = [];
    const cosLat = cosLatitude(lat);
    const radiusTerm = termOfKm(radiusKm);
    let searched: CellRange | undefined;
    let reach = Math.min(radiusKm, this.cellKm);
    for (;;) {
      searched = this.visit(boundingBox(lat, lng, reach), searched, (bucket) => {
        for (const entry of bucket) {
          if (entry.at < freshFrom) continue;
          const term = haversineTerm(lat, lng, cosLat, entry.lat, entry.lng, entry.cosLat);
          if (term <= radiusTerm) found.push({ entry, term });
        }
      });
      // Every driver within `reach` has been seen (the box holds the circle); drivers found farther
      // out may still lose to unseen ones, so only those within `reach` count towards `limit`.
      if (reach >= radiusKm || countWithin(found, termOfKm(reach)) >= limit) break;
      reach = Math.min(radiusKm, reach * 2);
    }
    const reachTerm = reach >= radiusKm ? radiusTerm : termOfKm(reach);
    return found
      .filter((candidate) => candidate.term <= reachTerm)
      .sort((a, b) => a.term - b.term)
      .slice(0, limit)
      .map(({ entry, term }) => ({ ...toPosition(entry), distanceKm: kmOfTerm(term) }));
  }

  async position(driverId: string): Promise<DriverPosition | undefined> {
    assertDriverId(driverId);
    const entry = this.drivers.get(driverId);
    return entry && toPosition(entry);
  }

  /** Walks every driver: a job that runs every few seconds can afford that, even at 100k drivers. */
  async staleSince(cutoff: Date, limit: number): Promise<string[]> {
    assertCutoff(cutoff, 'staleSince: cutoff');
    assertLimit(limit, 'staleSince');
    const before = cutoff.getTime();
    let stale: Entry[] = [];
    for (const entry of this.drivers.values()) if (entry.at < before) stale.push(entry);
    if (stale.length > limit) {
      // Sorting numbers in a typed array is far cheaper than sorting objects with a comparator: find
      // the limit-th oldest time that way, and sort only the entries up to it.
      const times = Float64Array.from(stale, (entry) => entry.at).sort();
      const newest = times[limit - 1] ?? Number.POSITIVE_INFINITY;
      stale = stale.filter((entry) => entry.at <= newest);
    }
    return stale
      .sort((a, b) => a.at - b.at)
      .slice(0, limit)
      .map((entry) => entry.driverId);
  }

  async isHealthy(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.drivers.clear();
    this.grid.clear();
  }

  private rowOf(lat: number): number {
    return Math.min(this.rows - 1, Math.floor(((lat + 90) / 180) * this.rows));
  }

  /** Any longitude, also beyond ±180 (a box across the antimeridian): 180 and -180 share a column. */
  private columnOf(lng: number): number {
    return modulo(Math.floor(((lng + 180) / 360) * this.columns), this.columns);
  }

  private link(entry: Entry): void {
    let row = this.grid.get(entry.row);
    if (!row) {
      row = new Map();
      this.grid.set(entry.row, row);
    }
    let bucket = row.get(entry.column);
    if (!bucket) {
      bucket = [];
      row.set(entry.column, bucket);
    }
    entry.slot = bucket.length;
    bucket.push(entry);
  }

  /** Swap-remove: the cell's last entry takes the freed slot. */
  private unlink(entry: Entry): void {
    const row = this.grid.get(entry.row);
    const bucket = row?.get(entry.column);
    if (!row || !bucket) return;
    const last = bucket.pop();
    if (last && last !== entry) {
      bucket[entry.slot] = last;
      last.slot = entry.slot;
    }
    if (bucket.length > 0) return;
    row.delete(entry.column);
    if (row.size === 0) this.grid.delete(entry.row);
  }

  /**
   * Calls `read` once per occupied cell of the box that is not in `searched`, the previous (smaller,
   * same centre, so nested) box of this query; returns the box's cells for the next round.
   */
  private visit(
    box: BoundingBox,
    searched: CellRange | undefined,
    read: (bucket: readonly Entry[]) => void,
  ): CellRange {
    const range: CellRange = {
      rowMin: this.rowOf(box.latMin),
      rowMax: this.rowOf(box.latMax),
      firstColumn: 0,
      columnCount: this.columns,
    };
    if (!box.allLongitudes) {
      const west = Math.floor(((box.lngMin + 180) / 360) * this.columns);
      const east = Math.floor(((box.lngMax + 180) / 360) * this.columns);
      range.firstColumn = modulo(west, this.columns);
      range.columnCount = Math.min(this.columns, east - west + 1);
    }
    const readRow = (row: number, columns: Map<number, Entry[]>) => {
      const seenRow = searched !== undefined && row >= searched.rowMin && row <= searched.rowMax;
      const skip = (column: number) => seenRow && this.inColumns(searched, column);
      if (columns.size < range.columnCount) {
        // Fewer occupied cells in this row than the box spans (wide radius, a pole): walk those.
        for (const [column, bucket] of columns) {
          if (this.inColumns(range, column) && !skip(column)) read(bucket);
        }
        return;
      }
      for (let i = 0; i < range.columnCount; i++) {
        const column = (range.firstColumn + i) % this.columns;
        if (skip(column)) continue;
        const bucket = columns.get(column);
        if (bucket) read(bucket);
      }
    };
    if (this.grid.size < range.rowMax - range.rowMin + 1) {
      for (const [row, columns] of this.grid) if (row >= range.rowMin && row <= range.rowMax) readRow(row, columns);
    } else {
      for (let row = range.rowMin; row <= range.rowMax; row++) {
        const columns = this.grid.get(row);
        if (columns) readRow(row, columns);
      }
    }
    return range;
  }

  private inColumns(range: CellRange | undefined, column: number): boolean {
    return range !== undefined && modulo(column - range.firstColumn, this.columns) < range.columnCount;
  }
}

function countWithin(found: readonly Candidate[], reachTerm: number): number {
  let count = 0;
  for (const candidate of found) if (candidate.term <= reachTerm) count++;
  return count;
}

function toPosition(entry: Entry): DriverPosition {
  return { driverId: entry.driverId, lat: entry.lat, lng: entry.lng, at: new Date(entry.at) };
}

function modulo(value: number, divisor: number): number {
  const rest = value % divisor;
  return rest < 0 ? rest + divisor : rest;
}
