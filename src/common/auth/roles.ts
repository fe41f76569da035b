export const ROLES = ['ADMIN', 'MERCHANT', 'CUSTOMER', 'DRIVER'] as const;
export type Role = (typeof ROLES)[number];
