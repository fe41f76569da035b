import { z } from 'zod';
import { defineEvent } from '../../infra/bus/envelope.js';

// A customer's saved addresses (control database; `aggregateId` is the address id, no tenant).

export const addressSummary = z.object({
  userId: z.uuid(),
  label: z.string(),
  address: z.string(),
  lat: z.number(),
  lng: z.number(),
  notes: z.string().nullable(),
});

export const AddressCreated = defineEvent('address.created', z.object({ after: addressSummary }));
export const AddressUpdated = defineEvent(
  'address.updated',
  z.object({ before: addressSummary, after: addressSummary }),
);
export const AddressDeleted = defineEvent('address.deleted', z.object({ before: addressSummary }));
