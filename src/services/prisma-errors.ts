import { Prisma } from '../generated/prisma/client.js';

/** True when `error` is a unique-constraint violation (a concurrent writer took the key first). */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}
