import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DownloadCounter } from '../src/services/downloads/download-counter.js';
import { CreateTokenDocument, EntityDownloadsDocument, GrantDocument, ReleaseDocument, ResolveDownloadUrlDocument } from './generated/graphql.js';
import { createUserAndLogin, loginAdmin } from './support/accounts.js';
import { pushOk } from './support/push.js';
import { createTestStore, type TestStore } from './support/store.js';
import { charmZip } from './support/zip.js';

describe('download statistics', () => {
  let store: TestStore;
  let admin: string;
  let kirk: string;
  const day = '2026-01-01';

  beforeEach(async () => {
    store = await createTestStore();
    admin = await loginAdmin(store);
    kirk = await createUserAndLogin(store, admin, 'kirk');
    await pushOk(store, kirk, charmZip({ name: 'foo' }), 'cs:~kirk/foo');
    await pushOk(store, kirk, charmZip({ name: 'foo', revisionNote: 'second' }), 'cs:~kirk/foo');
    const released = await store.execute(ReleaseDocument, { input: { url: 'cs:~kirk/foo', revision: 1, channels: ['stable'] } }, { token: kirk });
    expect(released.data?.release.__typename).toBe('ReleaseSuccess');
    const granted = await store.execute(GrantDocument, { input: { url: 'cs:~kirk/foo', acl: 'READ', channel: 'stable', principals: ['everyone'] } }, { token: kirk });
    expect(granted.data?.grant.__typename).toBe('GrantSuccess');
  });
  afterEach(async () => store.close());

  const downloads = async (groupBy: 'CHANNEL' | 'REVISION' | 'DAY', token = kirk, from = day, to = day) => {
    const result = await store.execute(EntityDownloadsDocument, { url: 'cs:~kirk/foo', from, to, groupBy }, { token });
    return result.data?.entity?.downloads;
  };
  const rowsOf = async (groupBy: 'CHANNEL' | 'REVISION' | 'DAY') => {
    const answer = await downloads(groupBy);
    if (answer?.__typename !== 'DownloadStatistics') throw new Error(JSON.stringify(answer));
    return Object.fromEntries(answer.rows.map((row) => [row.key, row.count]));
  };

  it('counts whole downloads per channel, revision and day, through the channel the resolve answer names', async () => {
    const resolved = await store.execute(ResolveDownloadUrlDocument, { url: 'cs:~kirk/foo', channel: 'stable' });
    expect(resolved.data?.resolve.__typename).toBe('Resolution');
    const url = resolved.data?.resolve.__typename === 'Resolution' ? resolved.data.resolve.downloadUrl : '';
    expect(url).toBe('/archives/~kirk/foo/1?channel=latest%2Fstable');

    for (let i = 0; i < 3; i++) expect((await store.request(url)).status).toBe(200); // anonymous, via the channel
    expect((await store.request('/archives/~kirk/foo/0', { token: kirk })).status).toBe(200); // no channel
    expect((await store.request('/archives/~kirk/foo/0?channel=stable', { token: kirk })).status).toBe(200); // not a full name
    expect((await store.request(url, { headers: { range: 'bytes=0-9' } })).status).toBe(206); // counts: first byte
    expect((await store.request(url, { headers: { range: 'bytes=10-19' } })).status).toBe(206); // a later range: not counted
    expect((await store.request(url, { method: 'HEAD' })).status).toBe(200); // not counted

    expect(await rowsOf('CHANNEL')).toEqual({}); // nothing flushed yet
    await store.downloadCounter.flush();
    expect(await rowsOf('CHANNEL')).toEqual({ '': 2, 'latest/stable': 4 });
    expect(await rowsOf('REVISION')).toEqual({ '0': 2, '1': 4 });
    expect(await rowsOf('DAY')).toEqual({ [day]: 6 });
    const outside = await downloads('DAY', kirk, '2025-12-01', '2025-12-31');
    expect(outside).toMatchObject({ __typename: 'DownloadStatistics', rows: [] });
  });

  it('adds up across restarts and processes: flushed at shutdown and on an interval', async () => {
    await store.request('/archives/~kirk/foo/1', { token: kirk });
    await store.downloadCounter.stop(); // shutdown
    // A restarted (or second) process counting the same revision, channel and day.
    const second = new DownloadCounter(store.database.db.prisma, pino({ level: 'silent' }), () => new Date(`${day}T12:00:00Z`));
    second.record({ entityId: (await store.database.db.prisma.entity.findFirstOrThrow({ where: { name: 'foo' } })).id, resourceName: '', revision: 1, channel: '' });
    second.start(20);
    await vi.waitFor(async () => expect(await rowsOf('REVISION')).toEqual({ '1': 2 }), { timeout: 20_000, interval: 50 });
    await store.request('/archives/~kirk/foo/1', { token: kirk });
    await store.downloadCounter.stop();
    await second.stop();
    expect(await rowsOf('REVISION')).toEqual({ '1': 3 });
  });

  it('shows counts only to owners and admins whose token allows package-view-metrics', async () => {
    await store.request('/archives/~kirk/foo/1', { token: kirk });
    await store.downloadCounter.flush();
    expect(await downloads('DAY', admin)).toMatchObject({ __typename: 'DownloadStatistics', rows: [{ key: day, count: 1 }] });

    const spock = await createUserAndLogin(store, admin, 'spock');
    expect(await downloads('DAY', spock)).toMatchObject({ __typename: 'PermissionDeniedError' });
    expect((await store.execute(EntityDownloadsDocument, { url: 'cs:~kirk/foo', from: day, to: day, groupBy: 'DAY' })).data?.entity?.downloads).toMatchObject({
      __typename: 'PermissionDeniedError',
    });

    const tokenWith = async (permissions: string[]) => {
      const created = await store.execute(CreateTokenDocument, { input: { permissions } }, { token: kirk });
      if (created.data?.createToken.__typename !== 'CreateTokenSuccess') throw new Error(JSON.stringify(created));
      return created.data.createToken.token;
    };
    expect(await downloads('DAY', await tokenWith(['package-view-metrics']))).toMatchObject({ __typename: 'DownloadStatistics' });
    expect(await downloads('DAY', await tokenWith(['package-manage-releases']))).toMatchObject({ __typename: 'PermissionDeniedError' });
  });

  it('refuses a period that ends before it starts or is longer than a year', async () => {
    expect(await downloads('DAY', kirk, '2026-02-01', '2026-01-01')).toMatchObject({ __typename: 'ValidationError', field: 'to' });
    expect(await downloads('DAY', kirk, '2024-01-01', '2026-01-01')).toMatchObject({ __typename: 'ValidationError', field: 'to' });
    const bad = await store.execute(EntityDownloadsDocument, { url: 'cs:~kirk/foo', from: '2026-13-01', to: day, groupBy: 'DAY' }, { token: kirk });
    expect(bad.errors?.[0]?.message).toContain('YYYY-MM-DD');
  });
});
