import { Body, Controller, Headers, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentActor, Roles } from '../../common/auth/decorators.js';
import { ApiJsonBody, ApiJsonOk, ApiProblem, openApiSchema } from '../../common/http/openapi.js';
import { ZodValidationPipe } from '../../common/http/zod-validation.pipe.js';
import type { Actor } from '../../common/request-context.js';
import { IdempotencyService, idempotencyKeyOf, IDEMPOTENCY_HEADER } from '../idempotency/idempotency.service.js';
import { orderViewSchema } from '../orders/orders.dto.js';
import { requestRideBody, type RequestRideBody } from './rides.dto.js';
import { RidesService } from './rides.service.js';

const estimateBody = z.strictObject({
  pickup: requestRideBody.shape.pickup,
  dropoff: requestRideBody.shape.dropoff,
  vehicleClass: requestRideBody.shape.vehicleClass,
});
const estimateSchema = z
  .object({
    distanceKm: z.number(),
    minutes: z.number().int(),
    amount: z.number().int().describe('Minor units of `currency`: base + per km + per minute of the class'),
    currency: z.string(),
  })
  .meta({ id: 'RideEstimate' });

@ApiTags('rides')
@Controller('rides')
export class RidesController {
  constructor(
    @Inject(RidesService) private readonly rides: RidesService,
    @Inject(IdempotencyService) private readonly idempotency: IdempotencyService,
  ) {}

  @Post('estimate')
  @Roles('CUSTOMER')
  @HttpCode(200)
  @ApiOperation({ summary: 'Quote a ride: the fare it would cost now' })
  @ApiJsonBody(estimateBody)
  @ApiJsonOk(estimateSchema)
  estimate(@Body(new ZodValidationPipe(estimateBody)) body: z.infer<typeof estimateBody>) {
    return this.rides.estimate(body);
  }

  @Post()
  @Roles('CUSTOMER')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Order a car (now or scheduled)',
    description:
      'Prices the ride upfront (base + per km + per minute of the class) and records it as a PENDING order of ' +
      'the rides tenant: it then awaits payment like a delivery (its `payment.checkoutUrl`), and once paid is ' +
      'dispatched to a driver whose vehicle class matches — or waits in SCHEDULED until shortly before ' +
      '`scheduledAt`. Follow it at `GET /api/tenants/{rides tenant}/orders/{id}` (the response names the tenant).',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Makes the request safe to retry for 24 h' })
  @ApiJsonBody(requestRideBody)
  @ApiAcceptedResponse({ description: 'Accepted: the ride order, PENDING', schema: openApiSchema(orderViewSchema) })
  @ApiProblem(422, 'Idempotency-Key reused with a different body')
  @ApiProblem(503, 'Rides are still being set up')
  async request(
    @CurrentActor() actor: Actor,
    @Headers(IDEMPOTENCY_HEADER) header: unknown,
    @Body(new ZodValidationPipe(requestRideBody)) body: RequestRideBody,
  ): Promise<unknown> {
    const response = await this.idempotency.run(
      { userId: actor.id, scope: 'POST /api/rides', key: idempotencyKeyOf(header), body, concurrent: 'execute' },
      async (orderId) => ({ status: 202, body: await this.rides.request(actor, body, orderId) }),
    );
    return response.body;
  }
}
