import { Module } from '@nestjs/common';
import { TenantsModule } from '../tenants/tenants.module.js';
import { CatalogCache } from './catalog-cache.js';
import { ProductsController } from './products.controller.js';
import { ProductsService } from './products.service.js';
import { StockService } from './stock.service.js';

/**
 * A tenant's catalog: products and stock, in the tenant's database. The orders module builds on the
 * exported pieces: `reserveStock` / `reserveItems` / `releaseStock` / `commitStock` and
 * `productsRepository.findOrderable` in its own tenant transaction, then `CatalogCache.invalidate`.
 */
@Module({
  imports: [TenantsModule],
  controllers: [ProductsController],
  providers: [ProductsService, StockService, CatalogCache],
  exports: [CatalogCache],
})
export class CatalogModule {}
