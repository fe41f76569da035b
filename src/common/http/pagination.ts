import { z } from 'zod';

export const paginationQuery = z.strictObject({
  page: z.coerce.number().int().min(1).default(1),
  per_page: z.coerce.number().int().min(1).max(100).default(20),
});

/** The `meta` of every page: which page, its size, and how many items there are in all. */
export const pageMetaSchema = z
  .object({ page: z.number().int(), per_page: z.number().int(), total: z.number().int() })
  .meta({ id: 'PageMeta' });

export type PaginationQuery = z.infer<typeof paginationQuery>;

export interface Page<T> {
  data: T[];
  meta: { page: number; per_page: number; total: number };
}

export function page<T>(data: T[], query: PaginationQuery, total: number): Page<T> {
  return { data, meta: { page: query.page, per_page: query.per_page, total } };
}
