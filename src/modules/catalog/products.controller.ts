import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor } from '../../common/auth/decorators.js';
import { ApiJsonBody, ApiJsonOk, ApiProblem, ApiZodQuery, openApiSchema } from '../../common/http/openapi.js';
import { ZodValidationPipe } from '../../common/http/zod-validation.pipe.js';
import type { Actor } from '../../common/request-context.js';
import { CurrentTenant, TenantScoped, type TenantContext, type TenantScopeOptions } from '../tenants/tenant-scope.js';
import type { Audience } from './catalog-cache.js';
import {
  adjustStockBody,
  createProductBody,
  listProductsQuery,
  productPageSchema,
  productViewSchema,
  stockViewSchema,
  updateProductBody,
  type AdjustStockBody,
  type CreateProductBody,
  type ListProductsQuery,
  type UpdateProductBody,
} from './catalog.dto.js';
import { ApiUuidParam, uuidParam } from '../../common/http/uuid-param.js';
import { ProductsService } from './products.service.js';
import { StockService } from './stock.service.js';

const VISITORS: TenantScopeOptions = { allow: ['CUSTOMER', 'DRIVER'] };

/** Staff see every product that is not deleted, with stock details; everyone else active products only. */
const audienceOf = (actor: Actor): Audience =>
  actor.role === 'ADMIN' || actor.role === 'MERCHANT' ? 'staff' : 'public';

@ApiTags('catalog')
@Controller('tenants/:tenantCode/products')
export class ProductsController {
  constructor(
    @Inject(ProductsService) private readonly products: ProductsService,
    @Inject(StockService) private readonly stock: StockService,
  ) {}

  @Post()
  @TenantScoped()
  @HttpCode(201)
  @ApiOperation({ summary: 'Add a product (with its initial stock)', description: 'Emits `product.created`.' })
  @ApiJsonBody(createProductBody)
  @ApiCreatedResponse({ description: 'The new product, staff view', schema: openApiSchema(productViewSchema) })
  @ApiProblem(409, 'The SKU is taken, or the tenant is not READY')
  create(
    @CurrentTenant() tenant: TenantContext,
    @Body(new ZodValidationPipe(createProductBody)) body: CreateProductBody,
  ) {
    return this.products.create(tenant, body);
  }

  @Get()
  @TenantScoped(VISITORS)
  @ApiOperation({
    summary: 'The catalog, by name, paginated; search by name and filter by category',
    description:
      'Customers and drivers see active products and `stock.available`; staff see all, with onHand and reserved.',
  })
  @ApiZodQuery(listProductsQuery)
  @ApiJsonOk(productPageSchema)
  list(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantContext,
    @Query(new ZodValidationPipe(listProductsQuery)) query: ListProductsQuery,
  ) {
    return this.products.list(tenant, audienceOf(actor), query);
  }

  @Get(':id')
  @TenantScoped(VISITORS)
  @ApiOperation({ summary: 'One product', description: 'An inactive product is a 404 to customers and drivers.' })
  @ApiUuidParam()
  @ApiJsonOk(productViewSchema)
  @ApiProblem(404, 'No such product (or deleted, or inactive and the caller is not staff)')
  get(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantContext, @Param('id', uuidParam()) id: string) {
    return this.products.get(tenant, audienceOf(actor), id);
  }

  @Patch(':id')
  @TenantScoped()
  @ApiOperation({ summary: 'Change a product', description: 'Emits `product.updated` with before and after.' })
  @ApiUuidParam()
  @ApiJsonBody(updateProductBody)
  @ApiJsonOk(productViewSchema)
  @ApiProblem(404, 'No such product (or deleted)')
  @ApiProblem(409, 'The SKU is taken, or the tenant is not READY')
  update(
    @CurrentTenant() tenant: TenantContext,
    @Param('id', uuidParam()) id: string,
    @Body(new ZodValidationPipe(updateProductBody)) body: UpdateProductBody,
  ) {
    return this.products.update(tenant, id, body);
  }

  @Delete(':id')
  @TenantScoped()
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a product (soft)',
    description:
      'The product disappears from every view and can no longer be ordered; its row stays for the orders and ' +
      'the audit trail that refer to it. To hide a product for a while, PATCH `active: false` instead. Emits `product.deleted`.',
  })
  @ApiUuidParam()
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblem(404, 'No such product (or already deleted)')
  async remove(@CurrentTenant() tenant: TenantContext, @Param('id', uuidParam()) id: string): Promise<void> {
    await this.products.remove(tenant, id);
  }

  @Patch(':id/stock')
  @TenantScoped()
  @ApiOperation({
    summary: 'Adjust stock on hand: set it (a count) or move it by a delta (a delivery, a loss), with a reason',
    description: 'Emits `stock.adjusted` with before, after and the reason, which the audit trail records.',
  })
  @ApiUuidParam()
  @ApiJsonBody(adjustStockBody)
  @ApiJsonOk(stockViewSchema)
  @ApiProblem(404, 'No such product (or deleted)')
  @ApiProblem(409, 'On hand would fall below the units reserved for orders (or below zero)')
  adjustStock(
    @CurrentTenant() tenant: TenantContext,
    @Param('id', uuidParam()) id: string,
    @Body(new ZodValidationPipe(adjustStockBody)) body: AdjustStockBody,
  ) {
    return this.stock.adjust(tenant, id, body);
  }
}
