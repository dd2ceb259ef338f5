import { describe, expect, it } from 'vitest';
import { describeArchive, entryPathProblem, isSymlinkEntry, parseOciImageDescriptor, symlinkProblem } from '../../src/domain/archive.js';
import { ValidationError } from '../../src/domain/errors.js';

describe('archive entry paths', () => {
  it.each(['metadata.yaml', 'hooks/install', 'src/charm.py', 'a/b/c/', 'dots..are.fine'])('accepts %s', (name) => {
    expect(entryPathProblem(name)).toBeNull();
  });
  it.each(['/etc/passwd', 'C:/windows', '../up', 'a/../../b', 'a/..'])('refuses %s', (name) => {
    expect(entryPathProblem(name)).not.toBeNull();
  });
});

describe('links', () => {
  it('recognises a symlink by its unix mode', () => {
    expect(isSymlinkEntry((0o120777 << 16) >>> 0)).toBe(true);
    expect(isSymlinkEntry((0o100644 << 16) >>> 0)).toBe(false);
  });
  it.each([
    ['hooks/install', '../dispatch', true],
    ['hooks/install', 'start', true],
    ['a/b/link', '../../top', true],
    ['hooks/install', '../../outside', false],
    ['link', '/etc/passwd', false],
    ['link', '..', false],
  ])('%s -> %s inside: %s', (name, target, inside) => {
    expect(symlinkProblem(name, target) === null).toBe(inside);
  });
});

describe('describeArchive', () => {
  it('reads a charm with resources and manifest bases', () => {
    const info = describeArchive(
      {
        metadata: 'name: foo\nsummary: s\ndescription: d\nseries: jammy\nresources:\n  img:\n    type: oci-image\n  data: {}\n',
        manifest: 'bases:\n  - name: ubuntu\n    channel: 22.04\n',
      },
      'archive',
    );
    expect(info).toEqual({
      kind: 'CHARM',
      name: 'foo',
      summary: 's',
      description: 'd',
      series: ['jammy'],
      resources: [
        { name: 'img', type: 'oci-image', description: null },
        { name: 'data', type: 'file', description: null },
      ],
      // A base that names no architectures runs on any ("all").
      bases: [{ name: 'ubuntu', channel: '22.04', architectures: ['all'] }],
      version: null,
      title: null,
      links: { documentation: [], issues: [], source: [], website: [], contact: [] },
      maintainers: [],
      assumes: [],
      containers: [],
      subordinate: false,
      provides: [],
      requires: [],
      peers: [],
    });
  });

  it('reads a bundle and summarises its description', () => {
    const info = describeArchive({ bundle: 'name: wiki\ndescription: "A wiki.\\nWith a database."\napplications:\n  wiki: {charm: "cs:mediawiki-3"}\n' }, 'archive');
    expect(info).toEqual({
      kind: 'BUNDLE',
      name: 'wiki',
      summary: 'A wiki.',
      description: 'A wiki.\nWith a database.',
      series: [],
      applications: [{ name: 'wiki', charm: 'cs:mediawiki-3', channel: null, revision: null, numUnits: null }],
      version: null,
    });
  });

  it('takes the metadata from charmcraft.yaml when the charm has no metadata.yaml, and bases from its platforms', () => {
    const info = describeArchive(
      {
        charmcraft: 'type: charm\nname: foo\nsummary: s\ndescription: d\nplatforms:\n  ubuntu@24.04:amd64:\nrequires:\n  db: {interface: pgsql}\n',
        version: ' 1.2-4-gdeadbee\n',
      },
      'archive',
    );
    expect(info).toMatchObject({ kind: 'CHARM', name: 'foo', version: '1.2-4-gdeadbee', bases: [{ name: 'ubuntu', channel: '24.04', architectures: ['amd64'] }] });
    expect(info.kind === 'CHARM' && info.requires).toEqual([{ name: 'db', interface: 'pgsql' }]);
    expect(() => describeArchive({ charmcraft: 'type: bundle\nname: foo\n' }, 'archive')).toThrow('its charmcraft.yaml does not say "type: charm"');
    expect(() => describeArchive({ charmcraft: 'type: charm\nname: foo\nsummary: s\ndescription: d\nplatforms:\n  amd64:\n' }, 'archive')).toThrow('platform "amd64" names no base');
  });

  it('maps series to bases when nothing else declares them; refuses relations without an interface', () => {
    const info = describeArchive({ metadata: 'name: foo\nsummary: s\ndescription: d\nseries: [focal, bionic]\n' }, 'archive');
    expect(info.kind === 'CHARM' && info.bases).toEqual([
      { name: 'ubuntu', channel: '20.04', architectures: ['all'] },
      { name: 'ubuntu', channel: '18.04', architectures: ['all'] },
    ]);
    expect(() => describeArchive({ metadata: 'name: foo\nsummary: s\ndescription: d\nprovides:\n  db: {}\n' }, 'archive')).toThrow('endpoint "db" in "provides" needs an "interface"');
  });

  it('refuses YAML alias bombs', () => {
    const lol = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i += 1) lol.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    expect(() => describeArchive({ metadata: `${lol.join('\n')}\nname: foo\n` }, 'archive')).toThrow(ValidationError);
  });
});

describe('oci-image descriptors', () => {
  const digest = `sha256:${'0'.repeat(64)}`;
  it.each(['ubuntu:22.04', 'registry.example.com:5000/team/app:1.0', `ghcr.io/org/app@${digest}`, 'app'])('accepts image %s', (image) => {
    expect(parseOciImageDescriptor(JSON.stringify({ image, digest }), 'file')).toEqual({ image, digest });
  });
  it.each(['UPPER/case', 'app:', ' app', 'app:tag with space'])('refuses image %j', (image) => {
    expect(() => parseOciImageDescriptor(JSON.stringify({ image, digest }), 'file')).toThrow(ValidationError);
  });
});
