import { Body, Controller, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Roles } from '../../common/auth/decorators.js';
import {
  ApiJsonBody,
  ApiJsonOk,
  ApiProblem,
  ApiZodQuery,
  openApiSchema,
  problemSchema,
} from '../../common/http/openapi.js';
import { PROBLEM_CONTENT_TYPE } from '../../common/http/problem.js';
import { ApiUuidParam, uuidParam } from '../../common/http/uuid-param.js';
import { ZodValidationPipe } from '../../common/http/zod-validation.pipe.js';
import type { Actor } from '../../common/request-context.js';
import { DriverAvailabilityService } from './driver-availability.service.js';
import {
  availabilityBody,
  driverPageSchema,
  driverRegistrationSchema,
  driverViewSchema,
  listDriversQuery,
  onlineRefusalSchema,
  registerDriverBody,
  rejectDriverBody,
  selectVehicleBody,
  type AvailabilityBody,
  type ListDriversQuery,
  type RegisterDriverBody,
  type RejectDriverBody,
  type SelectVehicleBody,
} from './drivers.dto.js';
import { DriversService } from './drivers.service.js';

const NO_PROFILE = 'You have no driver profile (register with POST /api/drivers as a CUSTOMER)';

@ApiTags('fleet')
@Controller('drivers')
export class DriversController {
  constructor(
    @Inject(DriversService) private readonly drivers: DriversService,
    @Inject(DriverAvailabilityService) private readonly availability: DriverAvailabilityService,
  ) {}

  @Post()
  @Roles('CUSTOMER')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Register as a driver: you become a DRIVER, your licence awaits verification (PENDING)',
    description:
      'Your role changes from CUSTOMER to DRIVER at once, so the access token you sent (role CUSTOMER) is ' +
      'refused from the next request: trade your refresh token at POST /api/auth/refresh for a DRIVER token ' +
      '(`tokenRefreshRequired`). Emits `driver.registered` and `user.updated`.',
  })
  @ApiJsonBody(registerDriverBody)
  @ApiCreatedResponse({ description: 'Registered', schema: openApiSchema(driverRegistrationSchema) })
  @ApiProblem(409, 'Already registered, or the licence number is registered to someone else')
  async register(
    @CurrentActor() actor: Actor,
    @Body(new ZodValidationPipe(registerDriverBody)) body: RegisterDriverBody,
  ) {
    return { ...(await this.drivers.register(actor, body)), tokenRefreshRequired: true as const };
  }

  @Get('me')
  @Roles('DRIVER')
  @ApiOperation({ summary: 'Your driver profile: verification, active vehicle, availability' })
  @ApiJsonOk(driverViewSchema)
  @ApiProblem(404, NO_PROFILE)
  mine(@CurrentActor() actor: Actor) {
    return this.drivers.mine(actor.id);
  }

  @Patch('me/vehicle')
  @Roles('DRIVER')
  @ApiOperation({
    summary: 'Select your active vehicle: one of yours, VERIFIED',
    description: 'Refused while you are online. Emits `driver.vehicle_selected`.',
  })
  @ApiJsonBody(selectVehicleBody)
  @ApiJsonOk(driverViewSchema)
  @ApiProblem(404, 'No such vehicle of yours, or no driver profile')
  @ApiProblem(409, 'The vehicle is not VERIFIED, or you are online')
  selectVehicle(@CurrentActor() actor: Actor, @Body(new ZodValidationPipe(selectVehicleBody)) body: SelectVehicleBody) {
    return this.availability.selectVehicle(actor.id, body.vehicleId);
  }

  @Patch('me/availability')
  @Roles('DRIVER')
  @ApiOperation({
    summary: 'Go online or offline',
    description:
      'Going online needs a VERIFIED, unexpired licence; an active vehicle that is VERIFIED with unexpired ' +
      'documents; and an ACTIVE vendor. Otherwise 409 with every failed rule in `reasons[]` (`code`, `field`, ' +
      '`message`). Going offline always works. Emits `driver.went_online` / `driver.went_offline`; no change, no event.',
  })
  @ApiJsonBody(availabilityBody)
  @ApiJsonOk(driverViewSchema)
  @ApiProblem(404, NO_PROFILE)
  @ApiResponse({
    status: 409,
    description: 'You may not go online: every failed rule is in reasons[]',
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: {
          allOf: [
            problemSchema,
            { type: 'object', properties: { reasons: { type: 'array', items: openApiSchema(onlineRefusalSchema) } } },
          ],
        },
      },
    },
  })
  setAvailability(@CurrentActor() actor: Actor, @Body(new ZodValidationPipe(availabilityBody)) body: AvailabilityBody) {
    return this.availability.setAvailability(actor.id, body.online);
  }

  @Get()
  @Roles('ADMIN')
  @ApiOperation({ summary: 'Drivers, oldest registration first; filter by verification status or vendor' })
  @ApiZodQuery(listDriversQuery)
  @ApiJsonOk(driverPageSchema)
  @ApiProblem(400, 'Invalid query')
  list(@Query(new ZodValidationPipe(listDriversQuery)) query: ListDriversQuery) {
    return this.drivers.list(query);
  }

  @Get(':id')
  @Roles('ADMIN', 'DRIVER')
  @ApiOperation({ summary: 'One driver: any for an ADMIN, yourself for a DRIVER' })
  @ApiUuidParam()
  @ApiJsonOk(driverViewSchema)
  @ApiProblem(404, 'No such driver (someone else’s answers the same)')
  get(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string) {
    return this.drivers.get(actor, id);
  }

  @Post(':id/verify')
  @Roles('ADMIN')
  @HttpCode(200)
  @ApiOperation({
    summary: "Verify a driver's licence (PENDING or REJECTED → VERIFIED)",
    description: 'Emits `driver.verified`.',
  })
  @ApiUuidParam()
  @ApiJsonOk(driverViewSchema)
  @ApiProblem(404, 'No such driver')
  @ApiProblem(409, 'Already VERIFIED')
  verify(@Param('id', uuidParam()) id: string) {
    return this.drivers.verify(id);
  }

  @Post(':id/reject')
  @Roles('ADMIN')
  @HttpCode(200)
  @ApiOperation({
    summary: "Reject a driver's licence, or revoke its verification (PENDING or VERIFIED → REJECTED)",
    description:
      'Takes the driver offline in the same transaction. Emits `driver.rejected` (and `driver.went_offline`).',
  })
  @ApiUuidParam()
  @ApiJsonBody(rejectDriverBody)
  @ApiJsonOk(driverViewSchema)
  @ApiProblem(404, 'No such driver')
  @ApiProblem(409, 'Already REJECTED')
  reject(@Param('id', uuidParam()) id: string, @Body(new ZodValidationPipe(rejectDriverBody)) body: RejectDriverBody) {
    return this.drivers.reject(id, body.reason);
  }
}
