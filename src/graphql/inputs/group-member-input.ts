import { builder } from '../builder.js';

export const GroupMemberInput = builder.inputType('GroupMemberInput', {
  description: 'A group and a user.',
  fields: (t) => ({
    group: t.string({ required: true, description: 'The group name.' }),
    username: t.string({ required: true, description: 'The member\'s username.' }),
    isAdmin: t.boolean({
      defaultValue: false,
      description: 'addGroupMember only: make the member an admin of the group, who may then manage its members.',
    }),
  }),
});
