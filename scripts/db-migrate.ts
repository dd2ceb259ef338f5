// `npm run db:migrate`: applies pending migrations to the configured
// database: PostgreSQL at DATABASE_URL when set (honouring `?schema=`),
// otherwise the embedded PGlite database in ${STORE_DATA_DIR:-./data}/pglite.
// Do not run it on a PGlite directory that a running store has open: PGlite
// is single-process.

import { mkdir } from 'node:fs/promises';
import path from 'node:path';

import { PGlite } from '@electric-sql/pglite';

import { migratePglite, migratePostgres, type ApplyMigrationsResult } from '../src/db/migrate.js';

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL?.trim();
  let result: ApplyMigrationsResult;
  if (url) {
    console.log(`Migrating PostgreSQL at ${redact(url)}`);
    result = await migratePostgres(url);
  } else {
    const dir = path.resolve(process.env.STORE_DATA_DIR?.trim() || './data', 'pglite');
    console.log(`Migrating the embedded database in ${dir}`);
    await mkdir(dir, { recursive: true });
    const pglite = await PGlite.create(dir);
    try {
      result = await migratePglite(pglite);
    } finally {
      await pglite.close();
    }
  }
  if (result.applied.length === 0) {
    console.log('No pending migrations.');
  } else {
    for (const name of result.applied) console.log(`Applied ${name}`);
  }
}

// Keep passwords out of the console.
function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:***@');
}

await main();
