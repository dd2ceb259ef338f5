import { defineConfig } from 'prisma/config';

// The Prisma CLI is used for `prisma generate` only; migrations are applied by
// src/db/migrate.ts through the WebAssembly schema engine (see README).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost/charmstore' },
});
