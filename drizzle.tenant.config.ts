import { defineConfig } from 'drizzle-kit';

// Tenant databases: every `*.tenant-tables.ts` plus the messaging tables every database has.
export default defineConfig({
  dialect: 'postgresql',
  schema: ['./src/**/*.tenant-tables.ts', './src/**/*.shared-tables.ts'],
  out: './migrations/tenant',
});
