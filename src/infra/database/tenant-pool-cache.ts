import type { SQL } from 'drizzle-orm';
import { Saturated } from '../../common/saturated.js';
import type { PostgresDatabase } from './postgres-database.js';
import type { Db, SqlDatabase, TransactionOptions } from './sql-database.js';

export interface TenantPoolCacheOptions {
  /** Pools open at once; together with each pool's size this bounds connections to the servers. */
  maxOpen: number;
  /** A pool unused for this long is closed. */
  idleMs: number;
  /** How long a caller waits for a slot while every open pool is busy. */
  acquireTimeoutMs: number;
  onChanged: (open: number) => void;
  onCloseError: (key: string, error: unknown) => void;
}

interface Entry {
  key: string;
  db: PostgresDatabase;
  /** Operations running on the pool right now; a busy pool is never closed under them. */
  inUse: number;
  lastUsed: number;
  /** Set once the entry has left the cache; resolves when its pool has ended. */
  retired?: Promise<void>;
  /** Called when a retired entry's last operation finishes, to end its pool then. */
  drained?: () => void;
}

export class TenantPoolsExhausted extends Saturated {
  override readonly name = 'TenantPoolsExhausted';
}

/**
 * A bounded LRU of pg pools keyed by tenant code. The Map's insertion order is the recency order: a hit
 * moves the entry to the end, so the first idle entry met while iterating is the least recently used.
 *
 * Why the in-use counter rather than leaning on `pool.end()`: pg's `end()` does wait for checked-out
 * clients, but it rejects every later `pool.query()`/`connect()` ("Cannot use a pool after calling end"),
 * and a drizzle call may not have reached `pool.query()` yet when another tenant's request evicts the
 * pool. So a pool counts its running operations, only idle pools are evicted, and when every pool is
 * busy a newcomer waits for one to go idle instead of opening an eleventh (which would break the bound
 * on connections, the point of the cache). `close()`/`remove()` retire busy pools and end them when
 * their last operation finishes.
 */
export class TenantPoolCache {
  private readonly entries = new Map<string, Entry>();
  private readonly retiring = new Set<Promise<void>>();
  private waiters: (() => void)[] = [];
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: TenantPoolCacheOptions) {}

  get size(): number {
    return this.entries.size;
  }

  /** Runs `work` on the key's pool, opening it (and evicting the least recently used idle pool) if needed. */
  async use<T>(key: string, open: () => PostgresDatabase, work: (db: PostgresDatabase) => Promise<T>): Promise<T> {
    const entry = await this.acquire(key, open);
    try {
      return await work(entry.db);
    } finally {
      this.release(entry);
    }
  }

  /** Opens (or touches) the key's pool without running anything on it. */
  async touch(key: string, open: () => PostgresDatabase): Promise<void> {
    this.release(await this.acquire(key, open));
  }

  /** Takes the key's pool out of the cache; resolves once it has ended. */
  remove(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry) return Promise.resolve();
    const retired = this.retire(entry);
    this.wake();
    return retired;
  }

  /** Ends every pool; operations in flight finish first. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopSweeper();
    for (const entry of [...this.entries.values()]) void this.retire(entry);
    this.wake(); // waiters retry, see `closed` and fail
    await Promise.all([...this.retiring]);
  }

  private async acquire(key: string, open: () => PostgresDatabase): Promise<Entry> {
    const deadline = Date.now() + this.options.acquireTimeoutMs;
    for (;;) {
      const entry = this.tryAcquire(key, open);
      if (entry) return entry;
      await this.waitForSlot(key, deadline);
    }
  }

  /** Synchronous from lookup to insert, so concurrent callers for one key always share one pool. */
  private tryAcquire(key: string, open: () => PostgresDatabase): Entry | undefined {
    if (this.closed) throw new Error('Tenant pools are closed');
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    } else {
      if (this.entries.size >= this.options.maxOpen && !this.evictIdle()) return undefined;
      entry = { key, db: open(), inUse: 0, lastUsed: Date.now() };
      this.entries.set(key, entry);
      this.startSweeper();
      this.options.onChanged(this.entries.size);
    }
    entry.inUse += 1;
    return entry;
  }

  private release(entry: Entry): void {
    entry.inUse -= 1;
    entry.lastUsed = Date.now();
    if (entry.inUse > 0) return;
    if (entry.drained) entry.drained();
    else this.wake(); // an idle pool can now make room for a waiter
  }

  private evictIdle(): boolean {
    for (const entry of this.entries.values()) {
      if (entry.inUse === 0) {
        void this.retire(entry);
        return true;
      }
    }
    return false;
  }

  private retire(entry: Entry): Promise<void> {
    if (entry.retired) return entry.retired;
    this.entries.delete(entry.key);
    this.options.onChanged(this.entries.size);
    if (this.entries.size === 0) this.stopSweeper();
    const drained = entry.inUse === 0 ? Promise.resolve() : new Promise<void>((resolve) => (entry.drained = resolve));
    const retired = drained.then(() => this.end(entry));
    entry.retired = retired;
    this.retiring.add(retired);
    void retired.finally(() => this.retiring.delete(retired));
    return retired;
  }

  private async end(entry: Entry): Promise<void> {
    try {
      await entry.db.close();
    } catch (error) {
      this.options.onCloseError(entry.key, error);
    }
  }

  private waitForSlot(key: string, deadline: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(
        () => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          const { maxOpen, acquireTimeoutMs } = this.options;
          reject(
            new TenantPoolsExhausted(
              `All ${maxOpen} tenant pools stayed busy for ${acquireTimeoutMs} ms; no pool for "${key}"`,
            ),
          );
        },
        Math.max(0, deadline - Date.now()),
      );
      this.waiters.push(waiter);
    });
  }

  /** Wakes every waiter; they retry in arrival order and the losers wait again. */
  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  private startSweeper(): void {
    if (this.sweeper) return;
    const every = Math.min(Math.max(Math.floor(this.options.idleMs / 2), 10), 10_000);
    this.sweeper = setInterval(() => this.sweep(), every);
    // Idle eviction is housekeeping: it must never keep the process alive.
    this.sweeper.unref();
  }

  private stopSweeper(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private sweep(): void {
    const cutoff = Date.now() - this.options.idleMs;
    let evicted = false;
    for (const entry of [...this.entries.values()]) {
      if (entry.inUse === 0 && entry.lastUsed <= cutoff) {
        void this.retire(entry);
        evicted = true;
      }
    }
    if (evicted) this.wake();
  }
}

/**
 * What `forTenant` hands out on PostgreSQL: every call borrows the tenant's pool from the cache for its
 * duration, reopening it if it was evicted meanwhile, so a handle held across requests stays valid.
 */
export class PooledTenantDatabase implements SqlDatabase {
  readonly kind = 'postgres' as const;
  readonly role = 'tenant' as const;

  constructor(
    readonly name: string,
    private readonly using: <T>(work: (db: PostgresDatabase) => Promise<T>) => Promise<T>,
  ) {}

  transaction<T>(work: (tx: Db) => Promise<T>, options?: TransactionOptions): Promise<T> {
    return this.using((db) => db.transaction(work, options));
  }

  query<Row>(statement: SQL): Promise<Row[]> {
    return this.using((db) => db.query<Row>(statement));
  }

  read<T>(work: (db: Db) => Promise<T>): Promise<T> {
    return this.using((db) => db.read(work));
  }

  ping(): Promise<void> {
    return this.using((db) => db.ping());
  }

  async close(): Promise<void> {
    // The pool belongs to the manager's cache, which closes it on eviction or shutdown.
  }
}
