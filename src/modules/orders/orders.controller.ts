import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Roles } from '../../common/auth/decorators.js';
import { ApiJsonBody, ApiJsonOk, ApiProblem, ApiZodQuery, openApiSchema } from '../../common/http/openapi.js';
import { paginationQuery, type Page, type PaginationQuery } from '../../common/http/pagination.js';
import { ApiUuidParam, uuidParam } from '../../common/http/uuid-param.js';
import { ZodValidationPipe } from '../../common/http/zod-validation.pipe.js';
import type { Actor } from '../../common/request-context.js';
import { paymentHistorySchema } from '../payments/payments.dto.js';
import { IdempotencyService, idempotencyKeyOf, IDEMPOTENCY_HEADER } from '../idempotency/idempotency.service.js';
import { CurrentTenant, TenantScoped, type TenantContext } from '../tenants/tenant-scope.js';
import {
  cancelOrderBody,
  deliverOrderBody,
  listOrdersQuery,
  orderEventsSchema,
  orderPageSchema,
  orderViewSchema,
  placeOrderBody,
  type CancelOrderBody,
  type DeliverOrderBody,
  type ListOrdersQuery,
  type OrderSummary,
  type PlaceOrderBody,
} from './orders.dto.js';
import { OrdersService } from './orders.service.js';

const ApiIdempotencyKey = () =>
  ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Makes the request safe to retry for 24 h: the same key and body from the same user gets the first ' +
      'response again; the same key with another body is a 422.',
  });

@ApiTags('orders')
@Controller('tenants/:tenantCode/orders')
export class OrdersController {
  constructor(
    @Inject(OrdersService) private readonly orders: OrdersService,
    @Inject(IdempotencyService) private readonly idempotency: IdempotencyService,
  ) {}

  @Post()
  @TenantScoped({ allow: ['CUSTOMER'], staff: false })
  @HttpCode(202)
  @ApiOperation({
    summary: 'Place a delivery order (asynchronous validation)',
    description:
      'Records the order as PENDING and emits `order.placed`. The `order-validator` consumer then checks the ' +
      'products, snapshots prices, computes the totals and delivery fee and reserves the stock: the order ' +
      'becomes AWAITING_PAYMENT, or REJECTED with a reason. Poll `GET …/orders/{id}`.',
  })
  @ApiIdempotencyKey()
  @ApiJsonBody(placeOrderBody)
  @ApiAcceptedResponse({ description: 'Accepted: the order, PENDING', schema: openApiSchema(orderViewSchema) })
  @ApiProblem(404, 'addressId is not one of your addresses (or no such tenant)')
  @ApiProblem(422, 'Idempotency-Key reused with a different body')
  async place(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantContext,
    @Headers(IDEMPOTENCY_HEADER) header: unknown,
    @Body(new ZodValidationPipe(placeOrderBody)) body: PlaceOrderBody,
  ): Promise<unknown> {
    const response = await this.idempotency.run(
      {
        userId: actor.id,
        scope: `POST /api/tenants/${tenant.code}/orders`,
        key: idempotencyKeyOf(header),
        body,
        concurrent: 'execute',
      },
      async (orderId) => ({ status: 202, body: await this.orders.place(tenant, actor, body, orderId) }),
    );
    return response.body;
  }

  @Get()
  @TenantScoped()
  @ApiOperation({ summary: "The tenant's orders, newest first; filter by status and creation time" })
  @ApiZodQuery(listOrdersQuery)
  @ApiJsonOk(orderPageSchema)
  list(@CurrentTenant() tenant: TenantContext, @Query(new ZodValidationPipe(listOrdersQuery)) query: ListOrdersQuery) {
    return this.orders.list(tenant, query);
  }

  @Get(':id')
  @TenantScoped({ allow: ['CUSTOMER', 'DRIVER'] })
  @ApiOperation({
    summary: 'One order with its items, totals, checkout, driver and ETA',
    description: 'Its customer, its assigned driver, or the tenant staff.',
  })
  @ApiUuidParam()
  @ApiJsonOk(orderViewSchema)
  @ApiProblem(404, "No such order, or another customer's")
  get(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantContext, @Param('id', uuidParam()) id: string) {
    return this.orders.get(tenant, actor, id);
  }

  @Get(':id/events')
  @TenantScoped({ allow: ['CUSTOMER', 'DRIVER'] })
  @ApiOperation({ summary: "An order's status history, oldest first, with actor and reason" })
  @ApiUuidParam()
  @ApiJsonOk(orderEventsSchema)
  @ApiProblem(404, "No such order, or another customer's")
  events(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantContext, @Param('id', uuidParam()) id: string) {
    return this.orders.events(tenant, actor, id);
  }

  @Post(':id/pickup')
  @TenantScoped({ allow: ['DRIVER'], staff: false })
  @HttpCode(200)
  @ApiOperation({ summary: 'The assigned driver picked the order up (→ PICKED_UP)' })
  @ApiUuidParam()
  @ApiJsonOk(orderViewSchema)
  @ApiProblem(404, 'No such order assigned to you')
  @ApiProblem(409, 'Not DRIVER_ASSIGNED (from and to named)')
  pickUp(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantContext, @Param('id', uuidParam()) id: string) {
    return this.orders.pickUp(tenant, actor, id);
  }

  @Post(':id/deliver')
  @TenantScoped({ allow: ['DRIVER'], staff: false })
  @HttpCode(200)
  @ApiOperation({ summary: 'The assigned driver delivered the order (→ DELIVERED), with an optional proof note' })
  @ApiUuidParam()
  @ApiJsonBody(deliverOrderBody)
  @ApiJsonOk(orderViewSchema)
  @ApiProblem(404, 'No such order assigned to you')
  @ApiProblem(409, 'Not PICKED_UP (from and to named)')
  deliver(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantContext,
    @Param('id', uuidParam()) id: string,
    @Body(new ZodValidationPipe(deliverOrderBody)) body: DeliverOrderBody,
  ) {
    return this.orders.deliver(tenant, actor, id, body.note);
  }

  @Get(':id/payments')
  @TenantScoped({ allow: ['CUSTOMER'] })
  @ApiOperation({
    summary: "An order's payments with their events and refunds",
    description: 'Every checkout opened for the order (newest first) and everything that happened to it.',
  })
  @ApiUuidParam()
  @ApiJsonOk(paymentHistorySchema)
  @ApiProblem(404, "No such order, or another customer's")
  payments(@CurrentActor() actor: Actor, @CurrentTenant() tenant: TenantContext, @Param('id', uuidParam()) id: string) {
    return this.orders.paymentHistory(tenant, actor, id);
  }

  @Post(':id/cancel')
  @TenantScoped({ allow: ['CUSTOMER'] })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cancel an order',
    description:
      'From any state before PICKED_UP. Reserved stock is released, sold stock put back, an open checkout ' +
      'closed, and a payment already taken refunded through the provider (the payment becomes REFUNDED ' +
      'shortly after). Emits `order.cancelled`. Any other state is a 409 naming from and to.',
  })
  @ApiIdempotencyKey()
  @ApiUuidParam()
  @ApiJsonBody(cancelOrderBody)
  @ApiJsonOk(orderViewSchema)
  @ApiProblem(404, "No such order, or another customer's")
  @ApiProblem(409, 'The order cannot be cancelled from its current status (from, to named)')
  @ApiProblem(422, 'Idempotency-Key reused with a different body')
  async cancel(
    @CurrentActor() actor: Actor,
    @CurrentTenant() tenant: TenantContext,
    @Param('id', uuidParam()) id: string,
    @Headers(IDEMPOTENCY_HEADER) header: unknown,
    @Body(new ZodValidationPipe(cancelOrderBody)) body: CancelOrderBody,
  ): Promise<unknown> {
    const response = await this.idempotency.run(
      {
        userId: actor.id,
        scope: `POST /api/tenants/${tenant.code}/orders/${id}/cancel`,
        key: idempotencyKeyOf(header),
        body,
        concurrent: 'wait',
      },
      async () => ({ status: 200, body: await this.orders.cancel(tenant, actor, id, body) }),
    );
    return response.body;
  }
}

@ApiTags('orders')
@Controller('orders')
export class CustomerOrdersController {
  constructor(@Inject(OrdersService) private readonly orders: OrdersService) {}

  @Get()
  @Roles('CUSTOMER')
  @ApiOperation({
    summary: 'Your orders across every shop, newest first',
    description:
      'Orders in every READY tenant placed by the signed-in customer. Read from a copy kept up to date by order ' +
      'events: a new order, or a status change, shows here a moment after it happened (read ' +
      '`GET /api/tenants/{tenantCode}/orders/{id}` for the order as it is now).',
  })
  @ApiZodQuery(paginationQuery)
  @ApiJsonOk(orderPageSchema)
  list(
    @CurrentActor() actor: Actor,
    @Query(new ZodValidationPipe(paginationQuery)) query: PaginationQuery,
  ): Promise<Page<OrderSummary>> {
    return this.orders.listForCustomer(actor.id, query);
  }
}
