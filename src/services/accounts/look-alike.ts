import type { PrismaClient } from '../../db/database.js';
import { ConflictError } from '../../domain/errors.js';

/**
 * New names are lower case, but namespaces created before that rule may not
 * be: a new `kirk` next to an old `Kirk` would be a look-alike owner, so it
 * is refused like a taken name.
 */
export async function refuseLookAlike(prisma: PrismaClient, name: string): Promise<void> {
  const existing = await prisma.namespace.findFirst({ where: { name: { equals: name, mode: 'insensitive' } }, select: { name: true } });
  if (existing && existing.name !== name) {
    throw new ConflictError(`The name "${name}" is too close to the existing user or group "${existing.name}": names that differ only in case count as one`);
  }
}
