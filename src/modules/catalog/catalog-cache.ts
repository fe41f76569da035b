import { Inject, Injectable } from '@nestjs/common';
import { CACHE, type CachePort } from '../../infra/cache/cache.port.js';

/** Who is looking: staff see inactive products and stock details, the public does not. */
export type Audience = 'staff' | 'public';

/** How long a catalog read is kept. Writes through this module invalidate at once; this bounds the rest. */
export const CATALOG_TTL_MS = 60_000;

/** The tag every cached read of a tenant's catalog carries. */
export const catalogTag = (tenant: string) => `catalog:${tenant}`;

/**
 * The catalog's reads through the cache port, keyed per tenant (`catalog:<tenant>:…`) and tagged with
 * the tenant, so one invalidation after a write drops every cached page and product of that tenant in
 * every process. Exported so stock moves made elsewhere (orders reserving, committing, releasing) can
 * call `invalidate` after their commit and keep `available` exact.
 */
@Injectable()
export class CatalogCache {
  constructor(@Inject(CACHE) private readonly cache: CachePort) {}

  read<T>(tenant: string, key: string, load: () => Promise<T>): Promise<T> {
    return this.cache.wrap(`catalog:${tenant}:${key}`, { ttlMs: CATALOG_TTL_MS, tags: [catalogTag(tenant)] }, load);
  }

  invalidate(tenant: string): Promise<void> {
    return this.cache.invalidateTags([catalogTag(tenant)]);
  }
}
