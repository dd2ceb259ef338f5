import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/errors.js';
import { checkInstanceKey, checkPercentage, receivesRollout, refusePromotingRollouts, rolloutPosition } from '../../src/domain/progressive.js';

const URL = 'cs:~kirk/web';
const keys = Array.from({ length: 1000 }, (_, index) => `model-${index.toString(16).padStart(4, '0')}/web`);

describe('receivesRollout', () => {
  it('reaches the asked share of 1000 instances, within 4 percentage points, for several revisions and percentages', () => {
    for (const revision of [1, 7, 42]) {
      for (const percentage of [10, 20, 50, 90]) {
        const reached = keys.filter((key) => receivesRollout(key, URL, revision, percentage)).length;
        expect(Math.abs(reached / 10 - percentage)).toBeLessThanOrEqual(4);
      }
    }
  });

  it('never takes the revision back from an instance as the percentage grows', () => {
    const flips: string[] = [];
    for (const key of keys) {
      let had = false;
      for (let percentage = 1; percentage <= 100; percentage++) {
        const has = receivesRollout(key, URL, 5, percentage);
        if (had && !has) flips.push(`${key} at ${percentage}%`);
        had = has;
      }
      if (!had) flips.push(`${key} never reached`);
    }
    expect(flips).toEqual([]);
  });

  it('decides the same way every time, and picks a different sample for another revision or charm', () => {
    const sample = (url: string, revision: number) => keys.filter((key) => receivesRollout(key, url, revision, 20));
    expect(sample(URL, 5)).toEqual(sample(URL, 5));
    const overlap = (a: string[], b: string[]) => a.filter((key) => b.includes(key)).length;
    // Independent 20% samples share about 4% of the instances, not all 20%.
    expect(overlap(sample(URL, 5), sample(URL, 6))).toBeLessThan(100);
    expect(overlap(sample(URL, 5), sample('cs:~kirk/db', 5))).toBeLessThan(100);
  });

  it('serves 100% to everyone, and leaves instances without a key out of an unfinished rollout', () => {
    expect(keys.every((key) => receivesRollout(key, URL, 3, 100))).toBe(true);
    expect(receivesRollout(null, URL, 3, 100)).toBe(true);
    expect(receivesRollout(null, URL, 3, 99)).toBe(false);
  });

  it('places every instance in [0, 100)', () => {
    for (const key of keys.slice(0, 100)) {
      const position = rolloutPosition(key, URL, 1);
      expect(position).toBeGreaterThanOrEqual(0);
      expect(position).toBeLessThan(100);
    }
  });
});

describe('checks', () => {
  it('takes whole percentages from 1 to 100 only', () => {
    expect(checkPercentage(1, 'p')).toBe(1);
    expect(checkPercentage(100, 'p')).toBe(100);
    for (const bad of [0, 101, -5, 12.5]) {
      expect(() => checkPercentage(bad, 'progressive.percentage')).toThrow(ValidationError);
      expect(() => checkPercentage(bad, 'progressive.percentage')).toThrow('give a whole number from 1 to 100');
    }
  });

  it('takes instance keys that are not blank and not too long', () => {
    expect(checkInstanceKey('model-1/web', 'instanceKey')).toBe('model-1/web');
    expect(() => checkInstanceKey(' ', 'instanceKey')).toThrow(ValidationError);
    expect(() => checkInstanceKey('x'.repeat(257), 'instanceKey')).toThrow('at most 256 characters');
  });
});

describe('refusePromotingRollouts', () => {
  it('lets a promote without rollouts in its source through', () => {
    expect(() => refusePromotingRollouts(URL, [])).not.toThrow();
  });

  it('refuses with a ValidationError on from naming every rollout, what the others get, and the ways on', () => {
    let refusal: unknown;
    try {
      refusePromotingRollouts(URL, [
        { channel: 'latest/edge', revision: 5, percentage: 20, previousRevision: 4, platforms: ['ubuntu 22.04/amd64'] },
        { channel: 'latest/edge', revision: 6, percentage: 50, previousRevision: null, platforms: [] },
      ]);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(ValidationError);
    expect(refusal).toMatchObject({
      field: 'from',
      message:
        'latest/edge is rolling out revision 5 for ubuntu 22.04/amd64 to 20% of instances (the others get revision 4); latest/edge is rolling out revision 6 to 50% of instances (the others fall back) of cs:~kirk/web, so it serves two revisions and promote cannot copy one: complete the rollout (updateProgressive with percentage: 100) or cancel it first, or release revision 5 to the targets with progressive: {percentage: 20}',
    });
  });
});
