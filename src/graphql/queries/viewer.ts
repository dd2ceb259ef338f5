import { builder } from '../builder.js';
import { ViewerType } from '../nodes/viewer.js';

builder.queryField('viewer', (t) =>
  t.field({
    type: ViewerType,
    nullable: true,
    description: 'Who you are (whoami); null when you are anonymous.',
    resolve: (_root, _args, ctx) => ctx.services.actor,
  }),
);
