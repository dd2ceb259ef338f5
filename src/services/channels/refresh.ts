import { DEFAULT_MAX_REFRESH_INSTANCES } from '../../config.js';
import { ValidationError } from '../../domain/errors.js';
import type { ServiceContext } from '../context.js';
import type { PlatformInput } from './platform-input.js';
import { type Resolution, resolveChannel } from './resolve.js';

export interface RefreshInstance {
  url: string;
  channel?: string | null;
  base?: PlatformInput | null;
  currentRevision?: number | null;
  instanceKey?: string | null;
}

/**
 * What each instance would get from resolve, in order: a promise per
 * instance, settling to its Resolution or rejecting with the NotFoundError
 * or ValidationError of that instance alone (a private entity is not found,
 * exactly as in resolve). The instances resolve concurrently, so each step's
 * reads (the entities by url, their channel state, the series of the
 * revisions) are batched into one statement for all of them: the same few
 * statements for 1 instance or 500. Too many instances refuse the whole call.
 */
export function refresh(ctx: ServiceContext, input: { instances: readonly RefreshInstance[] }): Array<Promise<Resolution>> {
  const max = ctx.settings.maxRefreshInstances ?? DEFAULT_MAX_REFRESH_INSTANCES;
  if (input.instances.length > max) {
    throw new ValidationError(`${input.instances.length} instances are more than one refresh may ask about (${max}): split them into several calls`, 'instances');
  }
  return input.instances.map((instance) => resolveChannel(ctx, instance));
}
