import { CLOCK, type Clock } from '../../common/clock.js';
import { Inject, Injectable } from '@nestjs/common';
import { page, type Page } from '../../common/http/pagination.js';
import { newId } from '../../common/ids.js';
import { UnitOfWork, type Emit } from '../../infra/bus/unit-of-work.js';
import type { Db } from '../../infra/database/sql-database.js';
import { isUniqueViolation } from '../../infra/database/unique-violation.js';
import type { TenantContext } from '../tenants/tenant-scope.js';
import { CatalogCache, type Audience } from './catalog-cache.js';
import { productNotFound, skuTaken } from './catalog-problems.js';
import { ProductCreated, ProductDeleted, ProductUpdated } from './catalog.events.js';
import type { CreateProductBody, ListProductsQuery, ProductView, UpdateProductBody } from './catalog.dto.js';
import { productView, summarize } from './product-view.js';
import { productsRepository, type NewProduct } from './products.repository.js';
import { stockRepository } from './stock.repository.js';

/**
 * A tenant's products. Reads go through the catalog cache; every write commits with its event in the
 * tenant's database and then invalidates the tenant's cached catalog, so the next read sees it.
 * Staff (ADMIN, the tenant's MERCHANTs) see every product that is not deleted; the public (customers,
 * drivers) see active ones only, and an inactive product is a 404 to them.
 */
@Injectable()
export class ProductsService {
  constructor(
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(CatalogCache) private readonly cache: CatalogCache,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async create(tenant: TenantContext, input: CreateProductBody): Promise<ProductView> {
    const created = await this.write(tenant, input.sku, async (tx, emit) => {
      const product = await productsRepository.insert(tx, {
        id: newId(),
        sku: input.sku ?? null,
        name: input.name,
        description: input.description ?? null,
        category: input.category ?? null,
        price: input.price,
        active: input.active ?? true,
      });
      const level = await stockRepository.insert(tx, product.id, input.initialStock ?? 0);
      await emit(ProductCreated, {
        aggregateId: product.id,
        tenant: tenant.code,
        payload: { productId: product.id, after: { ...summarize(product, tenant.currency), onHand: level.onHand } },
      });
      return { ...product, onHand: level.onHand, reserved: level.reserved };
    });
    return productView(created, tenant.currency, 'staff');
  }

  list(tenant: TenantContext, audience: Audience, query: ListProductsQuery): Promise<Page<ProductView>> {
    const key = `list:${audience}:${JSON.stringify([query.page, query.per_page, query.q ?? null, query.category ?? null])}`;
    return this.cache.read(tenant.code, key, async () => {
      const { rows, total } = await tenant.db.transaction((tx) =>
        productsRepository.page(
          tx,
          { activeOnly: audience === 'public', q: query.q, category: query.category },
          query.per_page,
          (query.page - 1) * query.per_page,
        ),
      );
      return page(
        rows.map((row) => productView(row, tenant.currency, audience)),
        query,
        total,
      );
    });
  }

  async get(tenant: TenantContext, audience: Audience, id: string): Promise<ProductView> {
    // Cached as `{ product }` so "no such product" is cached (and invalidated) like any other answer.
    const { product } = await this.cache.read(tenant.code, `product:${id}:${audience}`, async () => {
      const found = await tenant.db.read((db) => productsRepository.find(db, id));
      const visible = found && (audience === 'staff' || found.active);
      return { product: visible ? productView(found, tenant.currency, audience) : null };
    });
    if (!product) throw productNotFound(id);
    return product;
  }

  async update(tenant: TenantContext, id: string, input: UpdateProductBody): Promise<ProductView> {
    await this.write(tenant, input.sku ?? undefined, async (tx, emit) => {
      const before = await productsRepository.findForUpdate(tx, id);
      if (!before) throw productNotFound(id);
      const changes: Partial<NewProduct> = {};
      for (const field of ['sku', 'name', 'description', 'category', 'price', 'active'] as const) {
        const value = input[field];
        if (value !== undefined && value !== before[field]) Object.assign(changes, { [field]: value });
      }
      if (Object.keys(changes).length === 0) return;
      const after = await productsRepository.update(tx, id, changes);
      await emit(ProductUpdated, {
        aggregateId: id,
        tenant: tenant.code,
        payload: {
          productId: id,
          before: summarize(before, tenant.currency),
          after: summarize(after, tenant.currency),
        },
      });
    });
    return this.get(tenant, 'staff', id);
  }

  /**
   * Soft delete: the product leaves every view (404 from now on, staff included) and can no longer be
   * ordered, while its row stays for the order items and the audit trail that point at it.
   */
  async remove(tenant: TenantContext, id: string): Promise<void> {
    await this.write(tenant, undefined, async (tx, emit) => {
      const before = await productsRepository.findForUpdate(tx, id);
      if (!before) throw productNotFound(id);
      await productsRepository.update(tx, id, { active: false, deletedAt: this.clock.now() });
      await emit(ProductDeleted, {
        aggregateId: id,
        tenant: tenant.code,
        payload: { productId: id, before: summarize(before, tenant.currency) },
      });
    });
  }

  /** A write in the tenant's database; SKU clashes become 409; after commit the tenant's cached catalog goes. */
  private async write<T>(tenant: TenantContext, sku: string | undefined, work: (tx: Db, emit: Emit) => Promise<T>) {
    let result: T;
    try {
      result = await this.unitOfWork.run(tenant.db, work);
    } catch (error) {
      if (sku !== undefined && isUniqueViolation(error)) throw skuTaken(sku);
      throw error;
    }
    await this.cache.invalidate(tenant.code);
    return result;
  }
}
