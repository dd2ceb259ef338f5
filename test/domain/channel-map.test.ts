import { describe, expect, it } from 'vitest';
import { ANY_PLATFORM, entryFor, platformArchitectures, platformsToBases, replacedEntries, revisionPlatforms } from '../../src/domain/channel-map.js';

const p = (channel: string, architecture: string) => ({ name: 'ubuntu', channel, architecture });
const entry = (platform: ReturnType<typeof p>, revision: number) => ({ platform, revision });

describe('channel maps', () => {
  it('turns bases into platforms and back; no bases is the "any platform" entry', () => {
    const bases = [{ name: 'ubuntu', channel: '22.04', architectures: ['amd64', 'arm64'] }, { name: 'ubuntu', channel: '24.04', architectures: ['amd64'] }];
    expect(revisionPlatforms(bases)).toEqual([p('22.04', 'amd64'), p('22.04', 'arm64'), p('24.04', 'amd64')]);
    expect(platformsToBases(revisionPlatforms(bases))).toEqual(bases);
    expect(revisionPlatforms([])).toEqual([ANY_PLATFORM]);
    expect(platformsToBases([ANY_PLATFORM])).toEqual([]);
    expect(platformArchitectures([p('22.04', 'arm64'), p('22.04', 'all'), ANY_PLATFORM, p('24.04', 'amd64')])).toEqual(['amd64', 'arm64']);
  });

  it('serves a platform its most specific entry: the architecture, else "all" of the base, else "any"', () => {
    const entries = [entry(ANY_PLATFORM, 1), entry(p('22.04', 'all'), 2), entry(p('22.04', 'amd64'), 3)];
    expect(entryFor(entries, p('22.04', 'amd64'))?.revision).toBe(3);
    expect(entryFor(entries, p('22.04', 'arm64'))?.revision).toBe(2);
    expect(entryFor(entries, p('24.04', 'arm64'))?.revision).toBe(1);
    expect(entryFor(entries.slice(1), p('24.04', 'arm64'))).toBeUndefined();
  });

  it('replaces the entries a release covers and leaves the others', () => {
    const entries = [entry(ANY_PLATFORM, 1), entry(p('22.04', 'all'), 2), entry(p('22.04', 'amd64'), 3), entry(p('22.04', 'arm64'), 4)];
    expect(replacedEntries(entries, [p('22.04', 'arm64')]).map((e) => e.revision)).toEqual([4]);
    expect(replacedEntries(entries, [p('22.04', 'all')]).map((e) => e.revision)).toEqual([2, 3, 4]);
    expect(replacedEntries(entries, [ANY_PLATFORM]).map((e) => e.revision)).toEqual([1, 2, 3, 4]);
    expect(replacedEntries(entries, [p('24.04', 'amd64')])).toEqual([]);
  });
});
