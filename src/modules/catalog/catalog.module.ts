import { Module } from '@nestjs/common';
import { TenantsModule } from '../tenants/tenants.module.js';
import { CatalogCache } from './catalog-cache.js';
import { ProductsController } from './products.controller.js';
import { ProductsService } from './products.service.js';
import { StockLedger } from './stock-ledger.js';
import { StockService } from './stock.service.js';

/**
 * A tenant's catalog: products and stock, in the tenant's database. Orders reach it only through the
 * `StockLedger` (what can be ordered, and every stock move by order lines, in their own transaction);
 * the catalog keeps its cache right itself, after each commit.
 */
@Module({
  imports: [TenantsModule],
  controllers: [ProductsController],
  providers: [ProductsService, StockService, CatalogCache, StockLedger],
  exports: [StockLedger],
})
export class CatalogModule {}
