import { Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentActor, Roles } from '../../common/auth/decorators.js';
import { ApiJsonOk, ApiProblem } from '../../common/http/openapi.js';
import { ApiUuidParam, uuidParam } from '../../common/http/uuid-param.js';
import type { Actor } from '../../common/request-context.js';
import { DispatchService } from './dispatch.service.js';

const point = z.object({ lat: z.number(), lng: z.number() });
const offerSchema = z
  .object({
    id: z.uuid(),
    orderId: z.uuid(),
    tenant: z.string(),
    kind: z.string(),
    distanceKm: z.number().describe('From your last position to the pickup'),
    pickup: point,
    dropoff: point,
    expiresAt: z.string().describe('Accept before this, or the offer goes to the next driver'),
  })
  .meta({ id: 'Offer' });
const offersSchema = z.object({ data: z.array(offerSchema) });

@ApiTags('dispatch')
@Controller()
export class OffersController {
  constructor(@Inject(DispatchService) private readonly dispatch: DispatchService) {}

  @Get('drivers/me/offers')
  @Roles('DRIVER')
  @ApiOperation({ summary: 'Your open job offers (at most one at a time)' })
  @ApiJsonOk(offersSchema)
  offers(@CurrentActor() actor: Actor) {
    return this.dispatch.offersOf(actor.id);
  }

  @Post('offers/:id/accept')
  @Roles('DRIVER')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Accept a job offer',
    description:
      'Atomic: the job becomes yours only if the offer is still open and you hold no other active job ' +
      '(enforced by the database). The order becomes DRIVER_ASSIGNED shortly after.',
  })
  @ApiUuidParam()
  @ApiJsonOk(z.object({ orderId: z.uuid(), tenant: z.string(), status: z.literal('ASSIGNED') }))
  @ApiProblem(404, 'No such offer of yours')
  @ApiProblem(409, 'The offer expired, was declined or withdrawn, or you already have an active job')
  accept(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string) {
    return this.dispatch.accept(actor.id, id);
  }

  @Post('offers/:id/decline')
  @Roles('DRIVER')
  @HttpCode(200)
  @ApiOperation({ summary: 'Decline a job offer; it goes to the next nearest driver' })
  @ApiUuidParam()
  @ApiJsonOk(z.object({ status: z.literal('DECLINED') }))
  @ApiProblem(404, 'No such offer of yours')
  @ApiProblem(409, 'The offer is no longer open')
  decline(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string) {
    return this.dispatch.decline(actor.id, id);
  }
}
