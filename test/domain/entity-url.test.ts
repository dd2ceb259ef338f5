import { describe, expect, it } from 'vitest';
import { formatEntityUrl, parseEntityUrl } from '../../src/domain/entity-url.js';
import { ValidationError } from '../../src/domain/errors.js';

describe('parseEntityUrl', () => {
  it.each([
    ['foo', { name: 'foo' }],
    ['cs:foo', { name: 'foo' }],
    ['foo-42', { name: 'foo', revision: 42 }],
    ['bundle/foo', { series: 'bundle', name: 'foo' }],
    ['~charm-examples/foo', { owner: 'charm-examples', name: 'foo' }],
    ['cs:~charm-examples/foo', { owner: 'charm-examples', name: 'foo' }],
    ['cs:~kirk/foo-9', { owner: 'kirk', name: 'foo', revision: 9 }],
    ['cs:~kirk/bundle/wiki-3', { owner: 'kirk', series: 'bundle', name: 'wiki', revision: 3 }],
    ['~kirk/focal/foo', { owner: 'kirk', series: 'focal', name: 'foo' }],
    ['frblix-wmdmon', { name: 'frblix-wmdmon' }],
    ['foo-2x', { name: 'foo-2x' }],
    ['mysql-k8s-0', { name: 'mysql-k8s', revision: 0 }],
  ])('parses %j', (url, expected) => {
    expect(parseEntityUrl(url)).toEqual({ owner: undefined, series: undefined, revision: undefined, ...expected });
  });

  it.each(['', 'Foo', '~/foo', '~kirk', '~kirk/', 'a/b/c', '~kirk/a/b/c', 'foo_bar', '-foo', 'foo-', 'http://x/foo', 'cs:~k!rk/foo', 'foo--bar-1x'])(
    'refuses %j with a ValidationError naming the field',
    (url) => {
      expect(() => parseEntityUrl(url, 'url')).toThrow(ValidationError);
      try {
        parseEntityUrl(url, 'url');
      } catch (error) {
        expect((error as ValidationError).field).toBe('url');
        expect((error as ValidationError).message).toContain('is not a valid charm or bundle url');
      }
    },
  );
});

describe('formatEntityUrl', () => {
  it('writes the canonical forms', () => {
    expect(formatEntityUrl({ owner: 'kirk', name: 'foo', isBundle: false })).toBe('cs:~kirk/foo');
    expect(formatEntityUrl({ owner: 'kirk', name: 'foo', isBundle: false }, 9)).toBe('cs:~kirk/foo-9');
    expect(formatEntityUrl({ owner: 'kirk', name: 'wiki', isBundle: true })).toBe('cs:~kirk/bundle/wiki');
    expect(formatEntityUrl({ owner: 'kirk', name: 'wiki', isBundle: true }, 3)).toBe('cs:~kirk/bundle/wiki-3');
  });
});
