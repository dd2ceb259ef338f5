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
// Queries
import './queries/viewer.js';
import './queries/entity.js';
// Mutations
import './mutations/login.js';
import './mutations/logout.js';
import './mutations/create-user.js';
import './mutations/create-group.js';
import './mutations/add-group-member.js';
import './mutations/remove-group-member.js';

/** The whole schema; this file only imports the type and field modules that register themselves. */
export const schema = lexicographicSortSchema(builder.toSchema());
