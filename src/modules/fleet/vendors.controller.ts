import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '../../common/auth/decorators.js';
import { ApiJsonBody, ApiJsonOk, ApiProblem, ApiZodQuery, openApiSchema } from '../../common/http/openapi.js';
import { ApiUuidParam, uuidParam } from '../../common/http/uuid-param.js';
import { ZodValidationPipe } from '../../common/http/zod-validation.pipe.js';
import {
  createVendorBody,
  listVendorsQuery,
  updateVendorBody,
  vendorPageSchema,
  vendorViewSchema,
  type CreateVendorBody,
  type ListVendorsQuery,
  type UpdateVendorBody,
} from './vendors.dto.js';
import { VendorsService } from './vendors.service.js';

/** Vendors (fleet operators): organisations without logins for now, managed by ADMINs. */
@ApiTags('fleet')
@Roles('ADMIN')
@Controller('vendors')
export class VendorsController {
  constructor(@Inject(VendorsService) private readonly vendors: VendorsService) {}

  @Get()
  @ApiOperation({ summary: 'Vendors by name, paginated; filter by status, search by name' })
  @ApiZodQuery(listVendorsQuery)
  @ApiJsonOk(vendorPageSchema)
  @ApiProblem(400, 'Invalid query')
  list(@Query(new ZodValidationPipe(listVendorsQuery)) query: ListVendorsQuery) {
    return this.vendors.list(query);
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Add a vendor', description: 'Emits `vendor.created`.' })
  @ApiJsonBody(createVendorBody)
  @ApiCreatedResponse({ description: 'Created', schema: openApiSchema(vendorViewSchema) })
  create(@Body(new ZodValidationPipe(createVendorBody)) body: CreateVendorBody) {
    return this.vendors.create(body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One vendor' })
  @ApiUuidParam()
  @ApiJsonOk(vendorViewSchema)
  @ApiProblem(404, 'No such vendor')
  get(@Param('id', uuidParam()) id: string) {
    return this.vendors.get(id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change a vendor, or suspend or reactivate it',
    description:
      'Emits `vendor.updated`. Suspending takes its online drivers offline (`driver.went_offline`, reason ' +
      '`vendor_suspended`) in the same transaction; they cannot go online until the vendor is ACTIVE again.',
  })
  @ApiUuidParam()
  @ApiJsonBody(updateVendorBody)
  @ApiJsonOk(vendorViewSchema)
  @ApiProblem(404, 'No such vendor')
  update(@Param('id', uuidParam()) id: string, @Body(new ZodValidationPipe(updateVendorBody)) body: UpdateVendorBody) {
    return this.vendors.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a vendor without drivers', description: 'Emits `vendor.deleted`.' })
  @ApiUuidParam()
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblem(404, 'No such vendor')
  @ApiProblem(409, 'The vendor has drivers: suspend it instead')
  async remove(@Param('id', uuidParam()) id: string): Promise<void> {
    await this.vendors.remove(id);
  }
}
