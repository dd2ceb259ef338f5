// The migration that gave revisions a bases column backfills the rows pushed
// before it by push's rules: manifest bases kept in metadata, else series.

import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { DEFAULT_MIGRATIONS_DIR } from '../../src/db/migrate.js';
import { emptyPglite } from '../support/database.js';

const sql = (name: string) => readFile(path.join(DEFAULT_MIGRATIONS_DIR, name, 'migration.sql'), 'utf8');

describe('migration 20261129211211_revision_bases', () => {
  it('backfills bases from the manifest bases kept in metadata, else from the series; bundles keep none', async () => {
    const db = await emptyPglite();
    try {
      await db.exec(await sql('20261121150259_init'));
      await db.exec(`
        INSERT INTO "Namespace" (id, name) VALUES (1, 'kirk');
        INSERT INTO "User" (id, username, "passwordHash", "namespaceId") VALUES (1, 'kirk', 'x', 1);
        INSERT INTO "Entity" (id, "namespaceId", name, kind, "updatedAt") VALUES (1, 1, 'foo', 'CHARM', now()), (2, 1, 'wiki', 'BUNDLE', now());
        INSERT INTO "Revision" (id, "entityId", number, sha384, sha256, size, "createdById", series, metadata) VALUES
          (1, 1, 0, 'a', 'a', 1, 1, '{jammy}', '{"kind": "charm", "bases": [{"name": "ubuntu", "channel": "24.04", "architectures": ["arm64"]}]}'),
          (2, 1, 1, 'b', 'b', 1, 1, '{focal,kubernetes,trusty}', '{"kind": "charm", "bases": []}'),
          (3, 1, 2, 'c', 'c', 1, 1, '{}', '{"kind": "charm"}'),
          (4, 2, 0, 'd', 'd', 1, 1, '{xenial}', '{"kind": "bundle", "applications": []}');
      `);
      await db.exec(await sql('20261129211211_revision_bases'));
      const rows = await db.query<{ id: number; bases: unknown }>('SELECT id, bases FROM "Revision" ORDER BY id');
      expect(rows.rows).toEqual([
        { id: 1, bases: [{ name: 'ubuntu', channel: '24.04', architectures: ['arm64'] }] },
        {
          id: 2,
          bases: [
            { name: 'ubuntu', channel: '20.04', architectures: ['all'] },
            { name: 'ubuntu', channel: '14.04', architectures: ['all'] },
          ],
        },
        { id: 3, bases: [] },
        { id: 4, bases: [] },
      ]);
    } finally {
      await db.close();
    }
  });
});
