import { builder } from '../builder.js';
import { AclKindEnum } from '../nodes/acl-entry.js';

export const AclChangeInput = builder.inputType('AclChangeInput', {
  description: 'Principals to add to (grant) or remove from (revoke) one ACL channel of an entity.',
  fields: (t) => ({
    url: t.string({ required: true, description: 'The charm or bundle, e.g. "cs:~kirk/foo".' }),
    principals: t.stringList({ required: true, description: 'Usernames, group names, or "everyone" (every caller, signed in or not).' }),
    channel: t.string({
      defaultValue: 'stable',
      description: '"unpublished", a risk ("stable", "candidate" or "rc", "beta", "edge": on every track) or track/risk ("1.2/edge").',
    }),
    acl: t.field({ type: AclKindEnum, description: 'grant: READ when omitted; revoke: both lists when omitted.' }),
  }),
});
