import type { PrismaClient } from '../../db/database.js';
import { validateAccountName, validateNewAccountName, validatePassword } from '../../domain/names.js';
import { recordAudit } from '../audit.js';
import { hashPassword, needsRehash, verifyPassword } from '../passwords.js';
import { isUniqueViolation } from '../prisma-errors.js';

/**
 * Start-up: makes sure the configured admin exists, is an admin, and has the
 * configured password. Safe when several processes start at once.
 */
export async function ensureAdmin(
  prisma: PrismaClient,
  admin: { username: string; password: string },
  scryptCost: number,
  now: Date,
): Promise<'created' | 'updated' | 'unchanged'> {
  const username = validateAccountName(admin.username, 'STORE_ADMIN_USERNAME', 'user');
  validatePassword(admin.password, 'STORE_ADMIN_PASSWORD');
  const existing = await prisma.user.findUnique({ where: { username } });
  if (existing) {
    const passwordMatches = await verifyPassword(admin.password, existing.passwordHash);
    if (existing.isAdmin && passwordMatches) return 'unchanged';
    const passwordHash = passwordMatches && !needsRehash(existing.passwordHash, scryptCost) ? existing.passwordHash : await hashPassword(admin.password, scryptCost);
    await prisma.$transaction(async (tx) => {
      await tx.user.update({ where: { id: existing.id }, data: { isAdmin: true, passwordHash } });
      await recordAudit(tx, null, { action: 'bootstrap-admin', target: username, after: { isAdmin: true, passwordReset: !passwordMatches } }, now);
    });
    return 'updated';
  }
  // An existing admin keeps its name; a new one follows the rule for new names.
  validateNewAccountName(username, 'STORE_ADMIN_USERNAME', 'user');
  const passwordHash = await hashPassword(admin.password, scryptCost);
  try {
    await prisma.$transaction(async (tx) => {
      await tx.user.create({ data: { username, passwordHash, isAdmin: true, createdAt: now, namespace: { create: { name: username } } } });
      await recordAudit(tx, null, { action: 'bootstrap-admin', target: username, after: { isAdmin: true } }, now);
    });
    return 'created';
  } catch (error) {
    // Another process created it at the same moment.
    if (isUniqueViolation(error)) return 'unchanged';
    throw error;
  }
}
