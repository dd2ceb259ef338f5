import { builder } from '../builder.js';

/** A platform to filter listings by; unlike BaseInput, any part may be left out. */
export const BaseFilterInput = builder.inputType('BaseFilterInput', {
  description:
    'A platform to filter by: charms whose released revision runs on it. Any part may be left out, e.g. {name: "ubuntu", channel: "22.04"} for every architecture. A charm for "all" architectures matches any architecture.',
  fields: (t) => ({
    name: t.string({ description: 'The OS name, e.g. "ubuntu".' }),
    channel: t.string({ description: 'The OS channel (release), e.g. "22.04".' }),
    architecture: t.string({ description: 'One architecture, e.g. "arm64".' }),
  }),
});
