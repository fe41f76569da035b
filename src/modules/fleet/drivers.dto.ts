import { z } from 'zod';
import { paginationQuery } from '../../common/http/pagination.js';
import { ONLINE_REFUSAL_CODES, ONLINE_REFUSAL_FIELDS } from './availability-rules.js';
import { notPastDate, phone } from './fleet-fields.js';
import { pageMetaSchema } from '../../common/http/pagination.js';
import { DRIVER_STATUSES } from './fleet-states.js';

/** Licence numbers are compared like plates: upper case, without spaces (unique across the platform). */
const licenceNumber = z
  .string()
  .trim()
  .transform((value) => value.replace(/\s+/g, '').toUpperCase())
  .pipe(z.string().regex(/^[A-Z0-9/.-]{3,32}$/, '3 to 32 letters, digits, / . or -'))
  .describe('Stored upper case without spaces; unique across the platform');

export const registerDriverBody = z.strictObject({
  licenceNumber,
  licenceClass: z.string().trim().min(1).max(20).describe('As printed on the licence, e.g. B or C1'),
  licenceExpiry: notPastDate.describe('YYYY-MM-DD; the licence is valid through that day (UTC)'),
  vendorId: z.uuid().describe('The vendor (fleet operator) you drive for'),
  phone,
});
export type RegisterDriverBody = z.infer<typeof registerDriverBody>;

export const rejectDriverBody = z.strictObject({
  reason: z.string().trim().min(1).max(1000).describe('Shown to the driver and kept in the audit trail'),
});
export type RejectDriverBody = z.infer<typeof rejectDriverBody>;

export const selectVehicleBody = z.strictObject({
  vehicleId: z.uuid().describe('One of your vehicles, VERIFIED'),
});
export type SelectVehicleBody = z.infer<typeof selectVehicleBody>;

export const availabilityBody = z.strictObject({
  online: z.boolean().describe('true to take jobs, false to stop'),
});
export type AvailabilityBody = z.infer<typeof availabilityBody>;

export const listDriversQuery = paginationQuery.extend({
  status: z.enum(DRIVER_STATUSES).optional(),
  vendorId: z.uuid().optional(),
});
export type ListDriversQuery = z.infer<typeof listDriversQuery>;

export const driverViewSchema = z
  .object({
    id: z.uuid(),
    userId: z.uuid(),
    vendorId: z.uuid(),
    licenceNumber: z.string(),
    licenceClass: z.string(),
    licenceExpiry: z.string(),
    phone: z.string(),
    status: z.enum(DRIVER_STATUSES).describe('The licence verification'),
    rejectionReason: z.string().nullable(),
    verifiedAt: z.string().nullable(),
    activeVehicleId: z.uuid().nullable(),
    online: z.boolean(),
    onlineSince: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Driver' });
export type DriverView = z.infer<typeof driverViewSchema>;

export const driverRegistrationSchema = driverViewSchema
  .extend({
    tokenRefreshRequired: z
      .literal(true)
      .describe(
        'Your role is now DRIVER. Access tokens issued before (role CUSTOMER) are refused from now on: ' +
          'trade your refresh token at POST /api/auth/refresh for a DRIVER token.',
      ),
  })
  .meta({ id: 'DriverRegistration' });

export const driverPageSchema = z.object({ data: z.array(driverViewSchema), meta: pageMetaSchema });

export const onlineRefusalSchema = z
  .object({
    code: z.enum(ONLINE_REFUSAL_CODES),
    field: z.enum(ONLINE_REFUSAL_FIELDS).describe('What to fix: the licence, the active vehicle, or the vendor'),
    message: z.string(),
  })
  .meta({ id: 'OnlineRefusal' });
