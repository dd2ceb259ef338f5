import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.js';
import './scalars.js';
import './errors.js';
// Types
import './nodes/user.js';
import './nodes/group.js';
import './nodes/viewer.js';
import './nodes/entity.js';
import './nodes/revision.js';
import './nodes/resource-revision.js';
import './nodes/resource.js';
import './nodes/release.js';
import './nodes/channel.js';
import './nodes/track.js';
import './nodes/entity-channels.js';
import './nodes/entity-revisions.js';
import './nodes/revision-channels.js';
import './nodes/revision-download.js';
import './nodes/resolution.js';
// Queries
import './queries/viewer.js';
import './queries/entity.js';
import './queries/entities.js';
import './queries/revision.js';
import './queries/resolve.js';
// Mutations
import './mutations/login.js';
import './mutations/logout.js';
import './mutations/create-user.js';
import './mutations/create-group.js';
import './mutations/add-group-member.js';
import './mutations/remove-group-member.js';
import './mutations/push.js';
import './mutations/push-resource.js';
import './mutations/release.js';
import './mutations/close-channels.js';
import './mutations/create-track.js';
import './mutations/set-default-track.js';
import './mutations/set-track-guardrail.js';

/** The whole schema; this file only imports the type and field modules that register themselves. */
export const schema = lexicographicSortSchema(builder.toSchema());
