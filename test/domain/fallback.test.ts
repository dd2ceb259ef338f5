import { describe, expect, it } from 'vitest';
import { type ChannelName, formatChannel, parseChannel, type RiskName } from '../../src/domain/channel.js';
import { ChannelSet, type ChannelPointer, fallbackOrder, orderTracks, refreshAction } from '../../src/domain/fallback.js';

const DAY = 24 * 3600 * 1000;
const NOW = new Date('2026-03-01T00:00:00Z');
const LIFETIME = 30 * DAY;

const ch = (name: string): ChannelName => parseChannel(name, 'latest');

function pointer(name: string, revision: number | null, extra: Partial<ChannelPointer<number>> = {}): ChannelPointer<number> {
  const { track, risk, branch } = ch(name);
  return { track, risk, branch, revision, closed: revision === null, lastReleasedAt: NOW, ...extra };
}

/** full name -> [own revision, served by, effective revision] for every channel of a track. */
function table(set: ChannelSet<number>, track = 'latest') {
  return Object.fromEntries(
    set.trackChannels(track).map((s) => [formatChannel(s.channel), [s.revision, s.servedBy && formatChannel(s.servedBy), s.effectiveRevision]]),
  );
}

describe('fallbackOrder', () => {
  it.each([
    ['edge', ['latest/edge', 'latest/beta', 'latest/candidate', 'latest/stable']],
    ['beta', ['latest/beta', 'latest/candidate', 'latest/stable']],
    ['rc', ['latest/candidate', 'latest/stable']],
    ['stable', ['latest/stable']],
    ['2.0/edge/fix', ['2.0/edge/fix', '2.0/edge', '2.0/beta', '2.0/candidate', '2.0/stable']],
    ['stable/fix', ['latest/stable/fix', 'latest/stable']],
  ])('%s looks at %j', (name, order) => {
    expect(fallbackOrder(ch(name)).map(formatChannel)).toEqual(order);
  });
});

describe('ChannelSet', () => {
  it('serves each open risk itself, and never-released risks from the next more stable one', () => {
    const set = new ChannelSet([pointer('stable', 1), pointer('beta', 3)], NOW, LIFETIME);
    expect(table(set)).toEqual({
      'latest/stable': [1, 'latest/stable', 1],
      'latest/candidate': [null, 'latest/stable', 1],
      'latest/beta': [3, 'latest/beta', 3],
      'latest/edge': [null, 'latest/beta', 3],
    });
  });

  it('never falls back to a less stable risk', () => {
    const set = new ChannelSet([pointer('edge', 8), pointer('beta', 7)], NOW, LIFETIME);
    expect(table(set)).toEqual({
      'latest/stable': [null, null, null],
      'latest/candidate': [null, null, null],
      'latest/beta': [7, 'latest/beta', 7],
      'latest/edge': [8, 'latest/edge', 8],
    });
  });

  it('walks every closed risk down to stable', () => {
    const set = new ChannelSet([pointer('stable', 1), pointer('candidate', null), pointer('beta', null), pointer('edge', null)], NOW, LIFETIME);
    const edge = set.status(ch('edge'));
    expect(edge).toMatchObject({ revision: null, closed: true, effectiveRevision: 1, expiresAt: null });
    expect(edge.tried.map(formatChannel)).toEqual(['latest/edge', 'latest/beta', 'latest/candidate', 'latest/stable']);
    expect(formatChannel(edge.servedBy!)).toBe('latest/stable');
  });

  it('serves nothing when everything is closed, stable included', () => {
    const set = new ChannelSet(
      (['stable', 'candidate', 'beta', 'edge'] as RiskName[]).map((risk) => pointer(risk, null)),
      NOW,
      LIFETIME,
    );
    expect(table(set)).toEqual({
      'latest/stable': [null, null, null],
      'latest/candidate': [null, null, null],
      'latest/beta': [null, null, null],
      'latest/edge': [null, null, null],
    });
    expect(set.status(ch('edge')).closed).toBe(true);
    expect(set.status(ch('edge')).tried).toHaveLength(4);
  });

  it('serves nothing for an entity never released', () => {
    const set = new ChannelSet<number>([], NOW, LIFETIME);
    expect(set.status(ch('edge'))).toMatchObject({ revision: null, closed: false, servedBy: null, effectiveRevision: null });
  });

  it('keeps tracks apart', () => {
    const set = new ChannelSet([pointer('latest/stable', 1), pointer('2.0/edge', 5)], NOW, LIFETIME);
    expect(set.status(ch('2.0/beta')).servedBy).toBeNull();
    expect(set.status(ch('2.0/edge')).effectiveRevision).toBe(5);
    expect(set.status(ch('latest/edge')).effectiveRevision).toBe(1);
  });

  it('serves an open branch, lists it after its risk, and shows when it expires', () => {
    const releasedAt = new Date(NOW.getTime() - 10 * DAY);
    const set = new ChannelSet(
      [pointer('stable', 1), pointer('stable/hotfix', 2, { lastReleasedAt: releasedAt }), pointer('edge/b', 4), pointer('edge/a', 3)],
      NOW,
      LIFETIME,
    );
    expect(set.trackChannels('latest').map((s) => formatChannel(s.channel))).toEqual([
      'latest/stable',
      'latest/stable/hotfix',
      'latest/candidate',
      'latest/beta',
      'latest/edge',
      'latest/edge/a',
      'latest/edge/b',
    ]);
    expect(set.status(ch('stable/hotfix'))).toMatchObject({ revision: 2, closed: false, effectiveRevision: 2, expiresAt: new Date(releasedAt.getTime() + LIFETIME) });
  });

  it('closes a branch once its lifetime without releases has passed, falling back to its risk', () => {
    const releasedAt = new Date(NOW.getTime() - LIFETIME);
    const set = new ChannelSet([pointer('candidate', 1), pointer('beta/fix', 2, { lastReleasedAt: releasedAt })], NOW, LIFETIME);
    const status = set.status(ch('beta/fix'));
    expect(status).toMatchObject({ revision: null, closed: true, effectiveRevision: 1, expiresAt: NOW });
    expect(formatChannel(status.servedBy!)).toBe('latest/candidate');
    expect(set.liveBranches('latest', 'beta')).toEqual([]);
    // One millisecond earlier it was still open.
    const before = new ChannelSet([pointer('beta/fix', 2, { lastReleasedAt: new Date(releasedAt.getTime() + 1) })], NOW, LIFETIME);
    expect(before.status(ch('beta/fix'))).toMatchObject({ revision: 2, closed: false });
  });

  it('falls back from a closed branch to its track/risk, and from an unknown branch too', () => {
    const set = new ChannelSet([pointer('edge', 5), pointer('edge/fix', null)], NOW, LIFETIME);
    expect(set.status(ch('edge/fix'))).toMatchObject({ revision: null, closed: true, expiresAt: null, effectiveRevision: 5 });
    expect(set.status(ch('edge/other'))).toMatchObject({ revision: null, closed: false, effectiveRevision: 5 });
    expect(set.status(ch('edge/other')).tried.map(formatChannel)).toEqual(['latest/edge/other', 'latest/edge']);
  });

  it('treats a stored empty branch as the risk itself', () => {
    const set = new ChannelSet([{ track: 'latest', risk: 'edge', branch: '', revision: 3, closed: false, lastReleasedAt: null }], NOW, LIFETIME);
    expect(set.status(ch('edge')).revision).toBe(3);
  });
});

describe('orderTracks', () => {
  it('puts the default track first, then the others by creation', () => {
    const tracks = [
      { name: 'latest', createdAt: new Date(1) },
      { name: '2.0', createdAt: new Date(3) },
      { name: '1.0', createdAt: new Date(2) },
      { name: '0.9', createdAt: new Date(2) },
    ];
    expect(orderTracks(tracks, '2.0').map((t) => t.name)).toEqual(['2.0', 'latest', '0.9', '1.0']);
    expect(orderTracks(tracks, 'latest').map((t) => t.name)).toEqual(['latest', '0.9', '1.0', '2.0']);
  });
});

describe('refreshAction', () => {
  it.each([
    [undefined, 9, 'NONE'],
    [null, 9, 'NONE'],
    [9, 9, 'NONE'],
    [5, 9, 'UPGRADE'],
    [10, 9, 'DOWNGRADE'],
  ] as const)('from %j to %j is %s', (current, served, action) => {
    expect(refreshAction(current, served)).toBe(action);
  });
});
