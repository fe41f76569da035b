import { defineConfig } from 'drizzle-kit';

// Control database: every `*.tables.ts` plus the messaging tables every database has.
export default defineConfig({
  dialect: 'postgresql',
  schema: ['./src/**/*.tables.ts', './src/**/*.shared-tables.ts'],
  out: './migrations/control',
});
