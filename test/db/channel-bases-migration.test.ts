// The migration that gave channels per-platform maps backfills them from the
// channel pointers written before it, by release's rules: one entry per base
// and architecture of the pointed revision (no bases: the "any platform"
// entry), set by the channel's newest release; past releases record their
// revision's bases. Closed channels get no entries.

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { DEFAULT_MIGRATIONS_DIR } from '../../src/db/migrate.js';
import { emptyPglite } from '../support/database.js';

const MIGRATION = '20261129224748_channel_bases';
const sql = (name: string) => readFile(path.join(DEFAULT_MIGRATIONS_DIR, name, 'migration.sql'), 'utf8');

describe(`migration ${MIGRATION}`, () => {
  it('backfills each open channel\'s map from its pointer and newest release, and the bases of past releases', async () => {
    const db = await emptyPglite();
    try {
      const before = (await readdir(DEFAULT_MIGRATIONS_DIR)).filter((name) => name < MIGRATION && !name.endsWith('.toml')).sort();
      for (const name of before) await db.exec(await sql(name));
      await db.exec(`
        INSERT INTO "Namespace" (id, name) VALUES (1, 'kirk');
        INSERT INTO "User" (id, username, "passwordHash", "namespaceId") VALUES (1, 'kirk', 'x', 1);
        INSERT INTO "Entity" (id, "namespaceId", name, kind, "updatedAt") VALUES (1, 1, 'foo', 'CHARM', now()), (2, 1, 'wiki', 'BUNDLE', now());
        INSERT INTO "Revision" (id, "entityId", number, sha384, sha256, size, "createdById", bases) VALUES
          (1, 1, 0, 'a', 'a', 1, 1, '[{"name": "ubuntu", "channel": "22.04", "architectures": ["amd64", "arm64"]}]'),
          (2, 1, 1, 'b', 'b', 1, 1, '[{"name": "ubuntu", "channel": "20.04", "architectures": ["all"]}]'),
          (3, 2, 0, 'c', 'c', 1, 1, '[]');
        INSERT INTO "Channel" (id, "entityId", track, risk, "revisionId", closed, "updatedAt") VALUES
          (1, 1, 'latest', 'STABLE', 1, false, now()),
          (2, 1, 'latest', 'EDGE', NULL, true, now()),
          (3, 2, 'latest', 'STABLE', 3, false, now());
        INSERT INTO "Release" (id, "channelId", "entityId", action, "revisionId", "createdById") VALUES
          (1, 1, 1, 'RELEASE', 2, 1), (2, 1, 1, 'RELEASE', 1, 1), (3, 2, 1, 'RELEASE', 1, 1), (4, 2, 1, 'CLOSE', NULL, 1), (5, 3, 2, 'RELEASE', 3, 1);
      `);
      await db.exec(await sql(MIGRATION));
      const entries = await db.query('SELECT "channelId", name, "baseChannel", architecture, "revisionId", "releaseId" FROM "ChannelBase" ORDER BY "channelId", architecture');
      expect(entries.rows).toEqual([
        { channelId: 1, name: 'ubuntu', baseChannel: '22.04', architecture: 'amd64', revisionId: 1, releaseId: 2 },
        { channelId: 1, name: 'ubuntu', baseChannel: '22.04', architecture: 'arm64', revisionId: 1, releaseId: 2 },
        { channelId: 3, name: '', baseChannel: '', architecture: '', revisionId: 3, releaseId: 5 },
      ]);
      const releases = await db.query('SELECT id, bases FROM "Release" ORDER BY id');
      expect(releases.rows).toEqual([
        { id: 1, bases: [{ name: 'ubuntu', channel: '20.04', architectures: ['all'] }] },
        { id: 2, bases: [{ name: 'ubuntu', channel: '22.04', architectures: ['amd64', 'arm64'] }] },
        { id: 3, bases: [{ name: 'ubuntu', channel: '22.04', architectures: ['amd64', 'arm64'] }] },
        { id: 4, bases: [] },
        { id: 5, bases: [] },
      ]);
    } finally {
      await db.close();
    }
  });
});
