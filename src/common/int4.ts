/** The largest value of a PostgreSQL `integer` column: money in minor units, stock units, line totals. */
export const INT4_MAX = 2_147_483_647;
