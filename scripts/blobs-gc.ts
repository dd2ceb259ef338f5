import { blobLocation, openBlobStore } from '../src/blobs/open-blob-store.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { collectGarbage } from '../src/services/blobs/collect-garbage.js';

/**
 * `npm run blobs:gc`: removes blobs nothing references (older than
 * STORE_BLOB_GC_GRACE_SECONDS), safe next to running stores on PostgreSQL
 * (see collect-garbage.ts); with PGlite, run it while the store is stopped.
 */
const config = loadConfig();
const db = await openDatabase(config);
try {
  const blobs = await openBlobStore(config);
  const report = await collectGarbage(db, blobs, { now: new Date(), graceMs: config.blobGcGraceSeconds * 1000 });
  process.stdout.write(`${JSON.stringify({ blobs: blobLocation(config), ...report })}\n`);
} finally {
  await db.close();
}
