import { Inject, Injectable } from '@nestjs/common';
import { ProblemException } from '../../common/http/problem-exception.js';
import { UnitOfWork } from '../../infra/bus/unit-of-work.js';
import type { TenantContext } from '../tenants/tenant-scope.js';
import { CatalogCache } from './catalog-cache.js';
import { belowReserved, productNotFound } from './catalog-problems.js';
import { StockAdjusted } from './catalog.events.js';
import type { AdjustStockBody, StockView } from './catalog.dto.js';
import { productsRepository } from './products.repository.js';
import { stockRepository, type StockLevel } from './stock.repository.js';
import { INT4_MAX } from '../../common/int4.js';

/** The largest `on_hand` the integer column holds. */

/** Staff adjustments of stock on hand: a stock count (set) or a delivery or loss (delta), always with a reason. */
@Injectable()
export class StockService {
  constructor(
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(CatalogCache) private readonly cache: CatalogCache,
  ) {}

  async adjust(tenant: TenantContext, productId: string, input: AdjustStockBody): Promise<StockView> {
    const level = await this.unitOfWork.run(tenant.db, async (tx, emit) => {
      if (!(await productsRepository.find(tx, productId))) throw productNotFound(productId);
      // The row lock orders this against concurrent reservations: `reserved` cannot grow under us.
      const before = await stockRepository.findForUpdate(tx, productId);
      if (!before) throw productNotFound(productId);
      const onHand = input.onHand ?? before.onHand + (input.delta ?? 0);
      if (onHand > INT4_MAX)
        throw ProblemException.validation([{ field: 'delta', message: `on hand would exceed ${INT4_MAX}` }]);
      if (onHand < before.reserved || onHand < 0) throw belowReserved(onHand, before.reserved);
      if (onHand === before.onHand) return before;
      const after = await stockRepository.setOnHand(tx, productId, onHand);
      await emit(StockAdjusted, {
        aggregateId: productId,
        tenant: tenant.code,
        payload: {
          productId,
          before: { onHand: before.onHand, reserved: before.reserved },
          after: { onHand: after.onHand, reserved: after.reserved, reason: input.reason },
        },
      });
      return after;
    });
    await this.cache.invalidate(tenant.code);
    return stockView(level);
  }
}

function stockView(level: StockLevel): StockView {
  return { ...level, available: level.onHand - level.reserved };
}
