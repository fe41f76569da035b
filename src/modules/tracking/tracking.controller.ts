import { Body, Controller, Get, HttpCode, Inject, Param, Post, type PipeTransform } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Roles } from '../../common/auth/decorators.js';
import { ApiJsonBody, ApiJsonOk, ApiProblem, openApiSchema } from '../../common/http/openapi.js';
import { ProblemException } from '../../common/http/problem-exception.js';
import { ApiUuidParam, uuidParam } from '../../common/http/uuid-param.js';
import type { Actor } from '../../common/request-context.js';
import { LivePositions } from './live-positions.service.js';
import {
  lastKnownPositionSchema,
  locationAcceptedSchema,
  locationBody,
  parseLocation,
  type Fix,
} from './location.dto.js';

/** One fix or `{ positions: [...] }`, validated as a whole: any bad field refuses the request. */
class LocationBodyPipe implements PipeTransform<unknown, Fix[]> {
  transform(value: unknown): Fix[] {
    const parsed = parseLocation(value);
    if (!parsed.ok) throw ProblemException.validation(parsed.errors);
    return parsed.fixes;
  }
}

@ApiTags('tracking')
@Controller('drivers')
export class TrackingController {
  constructor(@Inject(LivePositions) private readonly positions: LivePositions) {}

  @Post('me/location')
  @Roles('DRIVER')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Report your position: one fix, or a batch of up to 100',
    description:
      'The newest fix updates the live index (dispatch matching) and, at most every DRIVER_POSITION_PERSIST_MS, ' +
      'your last-known position; while you serve a job every fix joins its trail and the newest is pushed as ' +
      '`order.location` to the order’s watchers. Any invalid field refuses the whole request (nothing written). ' +
      'The socket event `driver.location` takes the same payload, answered `{ ok: true, accepted }` or ' +
      '`{ ok: false, error }`.',
  })
  @ApiJsonBody(locationBody)
  @ApiResponse({ status: 202, description: 'Accepted', schema: openApiSchema(locationAcceptedSchema) })
  @ApiProblem(409, 'You have no driver profile, or you are offline (`reason`: no_driver_profile | offline)')
  @ApiProblem(503, 'The live index is unavailable')
  async report(@CurrentActor() actor: Actor, @Body(new LocationBodyPipe()) fixes: Fix[]) {
    return { accepted: await this.positions.report(actor.id, fixes) };
  }

  @Get(':id/location')
  @Roles('ADMIN', 'DRIVER')
  @ApiOperation({
    summary: "A driver's last known position: any driver's for an ADMIN, your own for a DRIVER",
    description:
      'The persisted position (it trails the live one by at most DRIVER_POSITION_PERSIST_MS); `live` says ' +
      'whether the driver is in the live index with a fix no older than 60 s.',
  })
  @ApiUuidParam()
  @ApiJsonOk(lastKnownPositionSchema)
  @ApiProblem(404, 'No known position (unknown driver, or someone else’s, answers the same)')
  @ApiProblem(503, 'The live index is unavailable')
  lastKnown(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string) {
    return this.positions.lastKnown(actor, id);
  }
}
