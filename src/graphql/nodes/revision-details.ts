import type { BundleApplication } from '../../domain/archive.js';
import type { Base } from '../../domain/bases.js';
import type { CharmLinks, Container, Relation } from '../../domain/charm-details.js';
import { builder } from '../builder.js';
import { BaseRef } from './base.js';

/**
 * What a revision says about itself, beyond summary and description: its
 * bases, version, title, links, relations... All of it was parsed at push
 * time and stored with the revision (columns and Revision.metadata), so
 * reading it never opens the archive.
 */

const CharmLinksRef = builder.objectRef<CharmLinks>('CharmLinks').implement({
  description: "A charm's links, from charmcraft's `links` or the older top-level `docs`, `issues`, `source` and `website` keys.",
  fields: (t) => ({
    documentation: t.exposeStringList('documentation', { description: 'Documentation pages.' }),
    issues: t.exposeStringList('issues', { description: 'Where to report problems.' }),
    source: t.exposeStringList('source', { description: 'Source repositories.' }),
    website: t.exposeStringList('website', { description: 'Web sites.' }),
    contact: t.exposeStringList('contact', { description: 'People or lists to contact.' }),
  }),
});

const RelationRef = builder.objectRef<Relation>('RelationEndpoint').implement({
  description: 'One relation endpoint of a charm (provides, requires or peers).',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The endpoint name, e.g. "database".' }),
    interface: t.exposeString('interface', { description: 'The interface spoken on it, e.g. "postgresql_client".' }),
  }),
});

const ContainerRef = builder.objectRef<Container>('CharmContainer').implement({
  description: 'A workload container of a Kubernetes charm.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The container name.' }),
    resource: t.exposeString('resource', { nullable: true, description: 'The oci-image resource it runs, when it names one.' }),
  }),
});

const BundleApplicationRef = builder.objectRef<BundleApplication>('BundleApplication').implement({
  description: 'One application of a bundle.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The application name in the bundle.' }),
    charm: t.exposeString('charm', { description: 'The charm url as the bundle writes it, e.g. "cs:~containers/etcd" or "postgresql-k8s".' }),
    channel: t.exposeString('channel', { nullable: true, description: 'The channel the bundle deploys the charm from, when it says.' }),
    revision: t.exposeInt('revision', { nullable: true, description: 'The charm revision the bundle pins, when it says.' }),
    numUnits: t.exposeInt('numUnits', { nullable: true, description: '`num_units` (or `scale`), when given; subordinates have none.' }),
  }),
});

interface StoredCharmMetadata {
  kind?: 'charm' | 'bundle';
  links?: CharmLinks;
  maintainers?: string[];
  assumes?: unknown[];
  containers?: Container[];
  subordinate?: boolean;
  provides?: Relation[];
  requires?: Relation[];
  peers?: Relation[];
  applications?: Partial<BundleApplication>[];
}

/** Revision.metadata as stored; revisions pushed before the details were kept lack them, hence every default. */
function stored(revision: { metadata: unknown }): StoredCharmMetadata {
  return (revision.metadata ?? {}) as StoredCharmMetadata;
}

const metadataOnly = { metadata: true } as const;

builder.prismaObjectFields('Revision', (t) => ({
  bases: t.field({
    type: [BaseRef],
    description: 'Where the revision runs: from manifest.yaml, else charmcraft.yaml (bases or platforms), else its series mapped to Ubuntu releases (jammy = ubuntu 22.04). Empty for bundles.',
    select: { bases: true },
    resolve: (revision) => revision.bases as unknown as Base[],
  }),
  version: t.exposeString('version', { nullable: true, description: 'The version string of the archive\'s `version` file (charmcraft writes it, e.g. from `git describe`), when it has one.' }),
  title: t.exposeString('title', { nullable: true, description: 'The human title (`display-name` in the metadata), when the charm gives one.' }),
  links: t.field({
    type: CharmLinksRef,
    nullable: true,
    description: 'Documentation, issues, source, website and contact links of a charm; null for bundles.',
    select: metadataOnly,
    resolve: (revision) => {
      const metadata = stored(revision);
      if (metadata.kind !== 'charm') return null;
      return { documentation: [], issues: [], source: [], website: [], contact: [], ...metadata.links };
    },
  }),
  maintainers: t.stringList({ description: 'The maintainers the metadata names; empty when none (and for bundles).', select: metadataOnly, resolve: (revision) => stored(revision).maintainers ?? [] }),
  assumes: t.field({
    type: ['JSON'],
    description: 'What the charm assumes of Juju (`assumes`), as written: feature names such as "k8s-api" or "juju >= 3.1", and any-of/all-of mappings.',
    select: metadataOnly,
    resolve: (revision) => stored(revision).assumes ?? [],
  }),
  containers: t.field({ type: [ContainerRef], description: 'The workload containers of a Kubernetes charm.', select: metadataOnly, resolve: (revision) => stored(revision).containers ?? [] }),
  subordinate: t.boolean({ description: 'Whether the charm is a subordinate (deployed alongside another application\'s units).', select: metadataOnly, resolve: (revision) => stored(revision).subordinate ?? false }),
  provides: t.field({ type: [RelationRef], description: 'The relation endpoints the charm provides, with their interfaces.', select: metadataOnly, resolve: (revision) => stored(revision).provides ?? [] }),
  requires: t.field({ type: [RelationRef], description: 'The relation endpoints the charm requires, with their interfaces.', select: metadataOnly, resolve: (revision) => stored(revision).requires ?? [] }),
  peers: t.field({ type: [RelationRef], description: 'The peer relation endpoints of the charm, with their interfaces.', select: metadataOnly, resolve: (revision) => stored(revision).peers ?? [] }),
  applications: t.field({
    type: [BundleApplicationRef],
    description: 'The applications of a bundle (name, charm url, channel, revision, units); empty for charms.',
    select: metadataOnly,
    resolve: (revision) =>
      (stored(revision).applications ?? []).map((application) => ({
        name: application.name ?? '',
        charm: application.charm ?? '',
        channel: application.channel ?? null,
        revision: application.revision ?? null,
        numUnits: application.numUnits ?? null,
      })),
  }),
}));
