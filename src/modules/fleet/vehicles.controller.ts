import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Roles } from '../../common/auth/decorators.js';
import { ApiJsonBody, ApiJsonOk, ApiProblem, ApiZodQuery, openApiSchema } from '../../common/http/openapi.js';
import { ApiUuidParam, uuidParam } from '../../common/http/uuid-param.js';
import { ZodValidationPipe } from '../../common/http/zod-validation.pipe.js';
import type { Actor } from '../../common/request-context.js';
import {
  createVehicleBody,
  listVehiclesQuery,
  updateVehicleBody,
  vehiclePageSchema,
  vehicleViewSchema,
  type CreateVehicleBody,
  type ListVehiclesQuery,
  type UpdateVehicleBody,
} from './vehicles.dto.js';
import { VehiclesService } from './vehicles.service.js';

const NOT_YOURS = 'No such vehicle (a driver gets the same answer for someone else’s)';
const RESUBMITS =
  'Changing the plate, year, class, capacity or documents sets it SUBMITTED again and emits `vehicle.submitted` ' +
  '(refused while you are online with it); make and model emit `vehicle.updated`.';

/** Vehicles: a driver manages their own, an ADMIN any (vendors have no logins yet). */
@ApiTags('fleet')
@Roles('DRIVER', 'ADMIN')
@Controller('vehicles')
export class VehiclesController {
  constructor(@Inject(VehiclesService) private readonly vehicles: VehiclesService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Register a vehicle: SUBMITTED, then VERIFIED or REJECTED by the verifier',
    description:
      'Emits `vehicle.submitted`; the `vehicle-verifier` checks the plate (^[A-Z0-9-]{2,10}$), that insurance and ' +
      'inspection are valid today, that it is at most 15 years old, and the seats of a ride class. A driver ' +
      'registers their own; an ADMIN names the driver (`driverId`).',
  })
  @ApiJsonBody(createVehicleBody)
  @ApiCreatedResponse({ description: 'Submitted', schema: openApiSchema(vehicleViewSchema) })
  @ApiProblem(404, 'You have no driver profile')
  @ApiProblem(409, 'The plate is registered already')
  create(@CurrentActor() actor: Actor, @Body(new ZodValidationPipe(createVehicleBody)) body: CreateVehicleBody) {
    return this.vehicles.create(actor, body);
  }

  @Get()
  @ApiOperation({
    summary: 'Vehicles, oldest first: your own (DRIVER) or all (ADMIN); filter by status, class, driver',
  })
  @ApiZodQuery(listVehiclesQuery)
  @ApiJsonOk(vehiclePageSchema)
  @ApiProblem(400, 'Invalid query')
  list(@CurrentActor() actor: Actor, @Query(new ZodValidationPipe(listVehiclesQuery)) query: ListVehiclesQuery) {
    return this.vehicles.list(actor, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One vehicle' })
  @ApiUuidParam()
  @ApiJsonOk(vehicleViewSchema)
  @ApiProblem(404, NOT_YOURS)
  get(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string) {
    return this.vehicles.get(actor, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a vehicle', description: RESUBMITS })
  @ApiUuidParam()
  @ApiJsonBody(updateVehicleBody)
  @ApiJsonOk(vehicleViewSchema)
  @ApiProblem(404, NOT_YOURS)
  @ApiProblem(409, 'The plate is registered already, or you are online with this vehicle')
  update(
    @CurrentActor() actor: Actor,
    @Param('id', uuidParam()) id: string,
    @Body(new ZodValidationPipe(updateVehicleBody)) body: UpdateVehicleBody,
  ) {
    return this.vehicles.update(actor, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a vehicle (soft: its plate is free again)',
    description:
      'Refused while you are online with it; if it was your active vehicle you have none. Emits `vehicle.deleted`.',
  })
  @ApiUuidParam()
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblem(404, NOT_YOURS)
  @ApiProblem(409, 'You are online with this vehicle')
  async remove(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string): Promise<void> {
    await this.vehicles.remove(actor, id);
  }
}
