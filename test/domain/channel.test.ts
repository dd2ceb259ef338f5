import { describe, expect, it } from 'vitest';
import {
  formatAclScope,
  formatChannel,
  isValidTrackName,
  parseAclScope,
  parseChannel,
  riskRank,
  toRisk,
} from '../../src/domain/channel.js';
import { ValidationError } from '../../src/domain/errors.js';

const HINT =
  'a channel is [track/]risk[/branch] with risk one of stable, candidate (or rc), beta, edge, e.g. "stable", "2.0/edge", "latest/stable/hotfix-1", or a lone track such as "1.2" (= 1.2/stable)';

describe('parseChannel', () => {
  it.each([
    // A lone risk uses the default track.
    ['stable', { track: 'latest', risk: 'stable', branch: null }, 'latest/stable'],
    ['candidate', { track: 'latest', risk: 'candidate', branch: null }, 'latest/candidate'],
    ['rc', { track: 'latest', risk: 'candidate', branch: null }, 'latest/candidate'],
    ['beta', { track: 'latest', risk: 'beta', branch: null }, 'latest/beta'],
    ['edge', { track: 'latest', risk: 'edge', branch: null }, 'latest/edge'],
    // A lone other word is that track's stable.
    ['1.2', { track: '1.2', risk: 'stable', branch: null }, '1.2/stable'],
    ['latest', { track: 'latest', risk: 'stable', branch: null }, 'latest/stable'],
    ['lates', { track: 'lates', risk: 'stable', branch: null }, 'lates/stable'],
    ['Stable1', { track: 'Stable1', risk: 'stable', branch: null }, 'Stable1/stable'],
    // track/risk
    ['2.9/beta', { track: '2.9', risk: 'beta', branch: null }, '2.9/beta'],
    ['3.0/rc', { track: '3.0', risk: 'candidate', branch: null }, '3.0/candidate'],
    ['latest/stable', { track: 'latest', risk: 'stable', branch: null }, 'latest/stable'],
    ['a_b-c.d/edge', { track: 'a_b-c.d', risk: 'edge', branch: null }, 'a_b-c.d/edge'],
    [`${'x'.repeat(28)}/edge`, { track: 'x'.repeat(28), risk: 'edge', branch: null }, `${'x'.repeat(28)}/edge`],
    // risk/branch uses the default track.
    ['stable/hotfix-1', { track: 'latest', risk: 'stable', branch: 'hotfix-1' }, 'latest/stable/hotfix-1'],
    ['rc/fix_2', { track: 'latest', risk: 'candidate', branch: 'fix_2' }, 'latest/candidate/fix_2'],
    // A risk first is risk/branch even when the branch is a risk word, as juju, snapd and charmcraft read it.
    ['stable/edge', { track: 'latest', risk: 'stable', branch: 'edge' }, 'latest/stable/edge'],
    ['edge/beta', { track: 'latest', risk: 'edge', branch: 'beta' }, 'latest/edge/beta'],
    // track/risk/branch
    ['1.2/stable/hotfix-342443', { track: '1.2', risk: 'stable', branch: 'hotfix-342443' }, '1.2/stable/hotfix-342443'],
    ['2.0/edge/Feature.X', { track: '2.0', risk: 'edge', branch: 'Feature.X' }, '2.0/edge/Feature.X'],
    ['latest/beta/edge', { track: 'latest', risk: 'beta', branch: 'edge' }, 'latest/beta/edge'],
    [`latest/edge/${'b'.repeat(128)}`, { track: 'latest', risk: 'edge', branch: 'b'.repeat(128) }, `latest/edge/${'b'.repeat(128)}`],
    // Surrounding blanks are ignored.
    [' edge ', { track: 'latest', risk: 'edge', branch: null }, 'latest/edge'],
  ])('parses %j', (input, expected, full) => {
    const parsed = parseChannel(input, 'latest');
    expect(parsed).toEqual(expected);
    expect(formatChannel(parsed)).toBe(full);
  });

  it('uses the default track given', () => {
    expect(formatChannel(parseChannel('edge', '2.0'))).toBe('2.0/edge');
    expect(formatChannel(parseChannel('beta/fix', '2.0'))).toBe('2.0/beta/fix');
    expect(formatChannel(parseChannel('latest/edge', '2.0'))).toBe('latest/edge');
    expect(formatChannel(parseChannel('3.1', '2.0'))).toBe('3.1/stable');
  });

  it.each([
    ['', 'it is empty'],
    ['   ', 'it is empty'],
    ['/', 'it has an empty part'],
    ['/edge', 'it has an empty part'],
    ['edge/', 'it has an empty part'],
    ['latest//edge', 'it has an empty part'],
    ['latest/edge/', 'it has an empty part'],
    ['latest/edge/a/b', 'it has more than three parts'],
    ['2.0/hotfix', 'neither "2.0" nor "hotfix" is a risk'],
    ['latest/nightly/fix', '"nightly" is not a risk'],
    ['latest/Stable', 'neither "latest" nor "Stable" is a risk'],
    ['EDGE', '"EDGE" is not a valid track name: use at most 28 letters and digits, optionally separated by single ".", "_" or "-", and neither a risk name nor "unpublished"'],
    ['unpublished', '"unpublished" holds every revision and cannot be released to'],
    ['unpublished/edge', '"unpublished" holds every revision and cannot be released to'],
    [`${'x'.repeat(29)}/edge`, `"${'x'.repeat(29)}" is not a valid track name: use at most 28 letters and digits, optionally separated by single ".", "_" or "-", and neither a risk name nor "unpublished"`],
    ['1..2/edge', '"1..2" is not a valid track name: use at most 28 letters and digits, optionally separated by single ".", "_" or "-", and neither a risk name nor "unpublished"'],
    ['-1/edge', '"-1" is not a valid track name: use at most 28 letters and digits, optionally separated by single ".", "_" or "-", and neither a risk name nor "unpublished"'],
    ['1./edge', '"1." is not a valid track name: use at most 28 letters and digits, optionally separated by single ".", "_" or "-", and neither a risk name nor "unpublished"'],
    ['la test/edge', '"la test" is not a valid track name: use at most 28 letters and digits, optionally separated by single ".", "_" or "-", and neither a risk name nor "unpublished"'],
    ['lätest', '"lätest" is not a valid track name: use at most 28 letters and digits, optionally separated by single ".", "_" or "-", and neither a risk name nor "unpublished"'],
    ['constructor', undefined],
    ['latest/toString', 'neither "latest" nor "toString" is a risk'],
    ['latest/edge/hot fix', '"hot fix" is not a valid branch name: use at most 128 letters and digits, optionally separated by single ".", "_" or "-"'],
    ['latest/edge/-fix', '"-fix" is not a valid branch name: use at most 128 letters and digits, optionally separated by single ".", "_" or "-"'],
    ['latest/edge/fix--1', '"fix--1" is not a valid branch name: use at most 128 letters and digits, optionally separated by single ".", "_" or "-"'],
    [`latest/edge/${'b'.repeat(129)}`, `"${'b'.repeat(129)}" is not a valid branch name: use at most 128 letters and digits, optionally separated by single ".", "_" or "-"`],
  ])('refuses %j, saying what a channel looks like', (input, why) => {
    if (why === undefined) {
      // Not a risk, so a track: "constructor" is a fine track name (and not Object.prototype's).
      expect(parseChannel(input, 'latest')).toEqual({ track: 'constructor', risk: 'stable', branch: null });
      return;
    }
    let error: unknown;
    try {
      parseChannel(input, 'latest', 'channels');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('channels');
    expect((error as ValidationError).message).toBe(`"${input}" is not a valid channel: ${why}; ${HINT}`);
  });
});

describe('risks and tracks', () => {
  it('orders risks from most to least stable and knows the rc alias', () => {
    expect(['edge', 'stable', 'beta', 'candidate'].map((word) => riskRank(toRisk(word)!))).toEqual([3, 0, 2, 1]);
    expect(toRisk('rc')).toBe('candidate');
    expect(toRisk('constructor')).toBeUndefined();
    expect(toRisk('Stable')).toBeUndefined();
  });

  it.each([
    ['latest', true],
    ['2.0', true],
    ['1_2-3.4', true],
    ['x'.repeat(28), true],
    ['x'.repeat(29), false],
    ['stable', false],
    ['RC', false],
    ['Unpublished', false],
    ['', false],
    ['a/b', false],
    ['_a', false],
  ])('track name %j valid: %j', (name, valid) => {
    expect(isValidTrackName(name)).toBe(valid);
  });
});

describe('parseAclScope', () => {
  it.each([
    ['unpublished', { kind: 'unpublished' }, 'unpublished'],
    ['stable', { kind: 'risk', risk: 'stable', track: null }, 'stable'],
    ['rc', { kind: 'risk', risk: 'candidate', track: null }, 'candidate'],
    ['1.2/edge', { kind: 'risk', risk: 'edge', track: '1.2' }, '1.2/edge'],
  ])('parses %j', (input, scope, stored) => {
    expect(parseAclScope(input)).toEqual(scope);
    expect(formatAclScope(parseAclScope(input))).toBe(stored);
  });

  it.each(['', 'latest', 'edge/x', 'latest/edge/fix', 'stable/edge', 'constructor', '1..2/edge'])('refuses %j', (input) => {
    expect(() => parseAclScope(input, 'channel')).toThrow(
      new ValidationError(
        `"${input}" is not a valid ACL channel: use "unpublished", a risk (stable, candidate or rc, beta, edge) or track/risk such as "1.2/edge"`,
        'channel',
      ),
    );
  });
});
