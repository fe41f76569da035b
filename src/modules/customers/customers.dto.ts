import { z } from 'zod';
import { pageMetaSchema } from '../../common/http/pagination.js';

const label = z.string().trim().min(1).max(100).describe('e.g. Home, Work');
const address = z.string().trim().min(1).max(500);
const lat = z.number().min(-90).max(90);
const lng = z.number().min(-180).max(180);
const notes = z.string().trim().max(1000).describe('For the driver: floor, door code…');

export const createAddressBody = z.strictObject({ label, address, lat, lng, notes: notes.optional() });
export type CreateAddressBody = z.infer<typeof createAddressBody>;

export const updateAddressBody = z.strictObject({
  label: label.optional(),
  address: address.optional(),
  lat: lat.optional(),
  lng: lng.optional(),
  notes: notes.nullable().optional().describe('null removes them'),
});
export type UpdateAddressBody = z.infer<typeof updateAddressBody>;

export const addressViewSchema = z
  .object({
    id: z.uuid(),
    label: z.string(),
    address: z.string(),
    lat: z.number(),
    lng: z.number(),
    notes: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Address' });
export type AddressView = z.infer<typeof addressViewSchema>;

export const addressPageSchema = z.object({
  data: z.array(addressViewSchema),
  meta: pageMetaSchema,
});

export const updateProfileBody = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  phone: z
    .string()
    .trim()
    .regex(/^\+?[0-9][0-9 ().-]{3,30}$/, 'a phone number: digits, spaces, ( ) . - and an optional leading +')
    .nullable()
    .optional()
    .describe('null removes the phone number'),
});
export type UpdateProfileBody = z.infer<typeof updateProfileBody>;
