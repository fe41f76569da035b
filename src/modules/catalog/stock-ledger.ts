import { Inject, Injectable } from '@nestjs/common';
import type { Unit } from '../../infra/bus/unit-of-work.js';
import type { Db } from '../../infra/database/sql-database.js';
import { CatalogCache } from './catalog-cache.js';
import { productsRepository, type Product } from './products.repository.js';
import {
  byProduct,
  commitStock,
  releaseStock,
  reserveItems,
  restockStock,
  type StockResult,
} from './stock.repository.js';

/** A product that can be ordered now, as the ledger hands it out (price in minor units). */
export type OrderableProduct = Product;

/** One line of an order as stock sees it. Lines of the same product are summed. */
export interface StockLine {
  productId: string;
  quantity: number;
}

export type ReservationResult =
  { ok: true } | { ok: false; reason: 'insufficient_stock' | 'unknown_product'; productId: string };

/** Where a stock move happens: the caller's tenant transaction, and its after-commit work. */
export type StockScope = Pick<Unit, 'tx' | 'afterCommit'> & { tenant: string };

type Move = (tx: Db, productId: string, quantity: number) => Promise<StockResult>;

/**
 * The catalog's face for orders: what can be ordered, and every stock move an order makes, by its
 * lines, in the caller's transaction. Each move is one conditional update per product, products taken
 * in id order (two orders over the same products never deadlock), so no interleaving oversells. The
 * catalog keeps its own cache right: every move drops the tenant's cached catalog after the commit.
 */
@Injectable()
export class StockLedger {
  constructor(@Inject(CatalogCache) private readonly cache: CatalogCache) {}

  /** The products among `productIds` that can be ordered now: this tenant's, active, not deleted. */
  orderable(tx: Db, productIds: readonly string[]): Promise<Product[]> {
    return productsRepository.findOrderable(tx, [...new Set(productIds)]);
  }

  /** Holds every line, or none: a shortfall is a value naming the product, and nothing stays held. */
  async reserve(scope: StockScope, lines: readonly StockLine[]): Promise<ReservationResult> {
    const result = await reserveItems(scope.tx, lines);
    if (!result.ok) return { ok: false, reason: result.reason, productId: result.productId };
    this.invalidateAfterCommit(scope);
    return { ok: true };
  }

  /** The held units are sold: they leave `reserved` and `on_hand`. */
  commit(scope: StockScope, lines: readonly StockLine[]): Promise<void> {
    return this.moveAll(scope, lines, commitStock, 'commit');
  }

  /** The held units go back to being available. */
  release(scope: StockScope, lines: readonly StockLine[]): Promise<void> {
    return this.moveAll(scope, lines, releaseStock, 'release');
  }

  /** Sold units go back on the shelf. */
  restock(scope: StockScope, lines: readonly StockLine[]): Promise<void> {
    return this.moveAll(scope, lines, restockStock, 'restock');
  }

  private async moveAll(scope: StockScope, lines: readonly StockLine[], move: Move, what: string): Promise<void> {
    for (const [productId, quantity] of byProduct(lines)) {
      const result = await move(scope.tx, productId, quantity);
      // The order's own units are missing: stock and orders disagree, which must never pass silently.
      if (!result.ok) throw new Error(`Cannot ${what} ${quantity} of ${productId}: ${result.reason}`);
    }
    if (lines.length > 0) this.invalidateAfterCommit(scope);
  }

  private invalidateAfterCommit({ tenant, afterCommit }: StockScope): void {
    afterCommit(() => this.cache.invalidate(tenant), `catalog-cache:${tenant}`);
  }
}
