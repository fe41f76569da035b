import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Roles } from '../../common/auth/decorators.js';
import { ApiJsonBody, ApiJsonOk, ApiProblem, ApiZodQuery, openApiSchema } from '../../common/http/openapi.js';
import { paginationQuery, type PaginationQuery } from '../../common/http/pagination.js';
import { ApiUuidParam, uuidParam } from '../../common/http/uuid-param.js';
import { ZodValidationPipe } from '../../common/http/zod-validation.pipe.js';
import type { Actor } from '../../common/request-context.js';
import { AddressesService } from './addresses.service.js';
import {
  addressPageSchema,
  addressViewSchema,
  createAddressBody,
  updateAddressBody,
  type CreateAddressBody,
  type UpdateAddressBody,
} from './customers.dto.js';

const NOT_YOURS = 'You have no such address (someone else’s answers the same)';

/** The signed-in customer's saved delivery addresses. */
@ApiTags('customers')
@Roles('CUSTOMER')
@Controller('me/addresses')
export class AddressesController {
  constructor(@Inject(AddressesService) private readonly addresses: AddressesService) {}

  @Get()
  @ApiOperation({ summary: 'Your saved addresses, oldest first' })
  @ApiZodQuery(paginationQuery)
  @ApiJsonOk(addressPageSchema)
  @ApiProblem(400, 'Invalid query')
  list(@CurrentActor() actor: Actor, @Query(new ZodValidationPipe(paginationQuery)) query: PaginationQuery) {
    return this.addresses.list(actor.id, query);
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Save an address', description: 'Emits `address.created`.' })
  @ApiJsonBody(createAddressBody)
  @ApiCreatedResponse({ description: 'Saved', schema: openApiSchema(addressViewSchema) })
  create(@CurrentActor() actor: Actor, @Body(new ZodValidationPipe(createAddressBody)) body: CreateAddressBody) {
    return this.addresses.create(actor.id, body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One of your addresses' })
  @ApiUuidParam()
  @ApiJsonOk(addressViewSchema)
  @ApiProblem(404, NOT_YOURS)
  get(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string) {
    return this.addresses.get(actor.id, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change one of your addresses', description: 'Emits `address.updated`.' })
  @ApiUuidParam()
  @ApiJsonBody(updateAddressBody)
  @ApiJsonOk(addressViewSchema)
  @ApiProblem(404, NOT_YOURS)
  update(
    @CurrentActor() actor: Actor,
    @Param('id', uuidParam()) id: string,
    @Body(new ZodValidationPipe(updateAddressBody)) body: UpdateAddressBody,
  ) {
    return this.addresses.update(actor.id, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Forget one of your addresses', description: 'Emits `address.deleted`.' })
  @ApiUuidParam()
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblem(404, NOT_YOURS)
  async remove(@CurrentActor() actor: Actor, @Param('id', uuidParam()) id: string): Promise<void> {
    await this.addresses.remove(actor.id, id);
  }
}
