import { describe, expect, it } from 'vitest';
import { BaseSyntaxError, basesFromSeries, basesInclude, parseCharmcraftBases, parsePlatforms, seriesArchitectures, seriesBase, supportsSeries } from '../../src/domain/bases.js';

describe('bases', () => {
  it('maps series to Ubuntu releases, leaving out series with no base', () => {
    expect(basesFromSeries(['jammy', 'focal', 'kubernetes', 'noble', 'trusty', 'xenial', 'bionic'])).toEqual([
      { name: 'ubuntu', channel: '22.04', architectures: ['all'] },
      { name: 'ubuntu', channel: '20.04', architectures: ['all'] },
      { name: 'ubuntu', channel: '24.04', architectures: ['all'] },
      { name: 'ubuntu', channel: '14.04', architectures: ['all'] },
      { name: 'ubuntu', channel: '16.04', architectures: ['all'] },
      { name: 'ubuntu', channel: '18.04', architectures: ['all'] },
    ]);
  });

  it('reads charmcraft 3 platforms in all three spellings', () => {
    expect(parsePlatforms({ 'ubuntu@22.04:amd64': null, 'ubuntu@22.04:arm64': null }, undefined)).toEqual([
      { name: 'ubuntu', channel: '22.04', architectures: ['amd64', 'arm64'] },
    ]);
    expect(parsePlatforms({ amd64: null, riscv64: null }, 'ubuntu@24.04')).toEqual([{ name: 'ubuntu', channel: '24.04', architectures: ['amd64', 'riscv64'] }]);
    expect(parsePlatforms({ jammy: { 'build-on': ['ubuntu@22.04:amd64'], 'build-for': ['ubuntu@22.04:s390x'] } }, undefined)).toEqual([
      { name: 'ubuntu', channel: '22.04', architectures: ['s390x'] },
    ]);
    expect(() => parsePlatforms({ amd64: null }, undefined)).toThrow(BaseSyntaxError);
  });

  it('reads charmcraft 2 bases from run-on, or build-on when run-on is missing', () => {
    expect(
      parseCharmcraftBases([
        { 'build-on': [{ name: 'ubuntu', channel: '22.04', architectures: ['amd64'] }], 'run-on': [{ name: 'ubuntu', channel: 22.04, architectures: ['arm64'] }] },
        { 'build-on': [{ name: 'ubuntu', channel: '20.04' }] },
        { name: 'ubuntu', channel: '22.04', architectures: ['amd64'] },
      ]),
    ).toEqual([
      { name: 'ubuntu', channel: '22.04', architectures: ['arm64', 'amd64'] },
      { name: 'ubuntu', channel: '20.04', architectures: ['all'] },
    ]);
    expect(() => parseCharmcraftBases([{ name: 'ubuntu' }])).toThrow(BaseSyntaxError);
  });

  it('matches a platform by name, channel and architecture; "all" runs anywhere', () => {
    const bases = [{ name: 'ubuntu', channel: '22.04', architectures: ['amd64'] }];
    expect(basesInclude(bases, { name: 'ubuntu', channel: '22.04', architecture: 'amd64' })).toBe(true);
    expect(basesInclude(bases, { name: 'ubuntu', channel: '22.04', architecture: 'arm64' })).toBe(false);
    expect(basesInclude(basesFromSeries(['jammy']), { name: 'ubuntu', channel: '22.04', architecture: 'arm64' })).toBe(true);
  });
});

describe('series in urls', () => {
  it('knows the base of each series, and nothing for words that are not series, even names of object properties', () => {
    expect(seriesBase('jammy')).toEqual({ name: 'ubuntu', channel: '22.04' });
    expect(seriesBase('kubernetes')).toBeUndefined();
    for (const word of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(seriesBase(word)).toBeUndefined();
      expect(basesFromSeries([word])).toEqual([]);
      expect(supportsSeries({ series: [], bases: [{ name: 'ubuntu', channel: '22.04', architectures: ['amd64'] }] }, word)).toBe(false);
    }
  });

  it('tries amd64 first, then the other specific architectures held, sorted and once each', () => {
    expect(seriesArchitectures([])).toEqual(['amd64']);
    expect(seriesArchitectures(['s390x', 'all', 'arm64', 'amd64', 'arm64', ''])).toEqual(['amd64', 'arm64', 's390x']);
  });
});
