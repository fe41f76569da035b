import { z } from 'zod';
import { paginationQuery } from '../../common/http/pagination.js';
import { phone } from './fleet-fields.js';
import { pageMetaSchema } from '../../common/http/pagination.js';
import { VENDOR_STATUSES } from './fleet-states.js';

const name = z.string().trim().min(1).max(200);
const contactEmail = z.email().max(254);
const status = z.enum(VENDOR_STATUSES).describe('SUSPENDED takes its online drivers offline and keeps them offline');

export const createVendorBody = z.strictObject({
  name,
  contactEmail,
  contactPhone: phone.optional(),
  status: status.optional().describe('Default ACTIVE'),
});
export type CreateVendorBody = z.infer<typeof createVendorBody>;

export const updateVendorBody = z.strictObject({
  name: name.optional(),
  contactEmail: contactEmail.optional(),
  contactPhone: phone.nullable().optional().describe('null removes it'),
  status: status.optional(),
});
export type UpdateVendorBody = z.infer<typeof updateVendorBody>;

export const listVendorsQuery = paginationQuery.extend({
  status: z.enum(VENDOR_STATUSES).optional(),
  q: z.string().trim().min(1).max(100).optional().describe('Part of the name, any case'),
});
export type ListVendorsQuery = z.infer<typeof listVendorsQuery>;

export const vendorViewSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    contactEmail: z.string(),
    contactPhone: z.string().nullable(),
    status: z.enum(VENDOR_STATUSES),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Vendor' });
export type VendorView = z.infer<typeof vendorViewSchema>;

export const vendorPageSchema = z.object({ data: z.array(vendorViewSchema), meta: pageMetaSchema });
