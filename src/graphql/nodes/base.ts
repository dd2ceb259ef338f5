import type { Base } from '../../domain/bases.js';
import { builder } from '../builder.js';

/** A platform a charm runs on (Charmhub's "base"). */
export const BaseRef = builder.objectRef<Base>('Base').implement({
  description: 'A platform a charm revision runs on: an OS name and channel, and the architectures, e.g. ubuntu / 22.04 / [amd64, arm64].',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The OS name, e.g. "ubuntu".' }),
    channel: t.exposeString('channel', { description: 'The OS channel (release), e.g. "22.04".' }),
    architectures: t.exposeStringList('architectures', {
      description: 'The architectures, e.g. ["amd64", "arm64"]; "all" means any architecture (series-era charms, architecture-independent charms).',
    }),
  }),
});

/** One platform to ask about: resolve and refresh serve the revision for it. */
export const BaseInput = builder.inputType('BaseInput', {
  description: 'One platform: an OS name and channel and one architecture, e.g. {name: "ubuntu", channel: "22.04", architecture: "arm64"}.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'The OS name, e.g. "ubuntu".' }),
    channel: t.string({ required: true, description: 'The OS channel (release), e.g. "22.04".' }),
    architecture: t.string({ required: true, description: 'One architecture, e.g. "amd64".' }),
  }),
});
