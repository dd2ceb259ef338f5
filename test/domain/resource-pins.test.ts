import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/errors.js';
import { declaredResourceNames, planResourcePins } from '../../src/domain/resource-pins.js';

describe('declaredResourceNames', () => {
  it.each([
    [{ resources: { image: { type: 'oci-image' }, data: { type: 'file', filename: 'd.tgz' } } }, ['data', 'image']],
    [{ resources: {} }, []],
    [{}, []],
    [{ resources: ['x'] }, []],
    [null, []],
    ['text', []],
  ])('reads %j', (metadata, names) => {
    expect(declaredResourceNames(metadata)).toEqual(names);
  });
});

describe('planResourcePins', () => {
  const available = new Map([
    ['data', [0, 1, 2]],
    ['image', [0]],
    ['empty', []],
  ]);

  it('pins the newest revision by default, and what is asked for otherwise', () => {
    expect(planResourcePins('cs:~kirk/foo-1', ['data', 'image'], [], available)).toEqual([
      { name: 'data', revision: 2 },
      { name: 'image', revision: 0 },
    ]);
    expect(planResourcePins('cs:~kirk/foo-1', ['data', 'image'], [{ name: 'data', revision: 1 }], available)).toEqual([
      { name: 'data', revision: 1 },
      { name: 'image', revision: 0 },
    ]);
    expect(planResourcePins('cs:~kirk/foo-1', [], [], available)).toEqual([]);
  });

  it.each([
    [['data'], [{ name: 'image', revision: 0 }], 'cs:~kirk/foo-1 does not declare a resource "image": it declares "data"'],
    [[], [{ name: 'data', revision: 0 }], 'cs:~kirk/foo-1 does not declare a resource "data": it declares no resources'],
    [['data'], [{ name: 'data', revision: 3 }], 'Resource "data" has no revision 3: it has 0, 1, 2'],
    [['data'], [{ name: 'data', revision: 0 }, { name: 'data', revision: 1 }], 'Resource "data" is pinned twice; give each resource once'],
    [['empty'], [], 'Resource "empty" declared by cs:~kirk/foo-1 has no revisions yet: push one with pushResource before releasing'],
    [['missing'], [], 'Resource "missing" declared by cs:~kirk/foo-1 has no revisions yet: push one with pushResource before releasing'],
  ])('refuses declared %j with pins %j', (declared, pins, message) => {
    expect(() => planResourcePins('cs:~kirk/foo-1', declared, pins, available)).toThrow(new ValidationError(message, 'resources'));
  });
});
