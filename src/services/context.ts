import type { BlobStore } from '../blobs/blob-store.js';
import type { PrismaClient } from '../db/database.js';
import type { SqlDriver } from '../db/sql-transaction.js';
import type { Logger } from 'pino';
import type { ArchiveLimits } from '../domain/archive.js';
import type { DomainEventPublisher } from './pipeline/events.js';
import type { LoginThrottle } from './accounts/login-throttle.js';
import type { WebhookTargetPolicy } from '../domain/webhook-target.js';
import type { ReadValidity } from './read-validity.js';

/** Who is calling: a signed-in user through one token. */
export interface Actor {
  userId: number;
  username: string;
  isAdmin: boolean;
  tokenId: number;
  tokenExpiresAt: Date;
  /** Permissions the token is limited to; empty means all of the user's. */
  permissions: string[];
  entities: string[];
  channels: string[];
  /**
   * The user's groups, when read together with the token in this request
   * (authentication does); otherwise the caller's groups are read on first use.
   */
  groups?: Array<{ id: number; name: string }>;
}

export interface ServiceSettings {
  tokenTtlSeconds: number;
  /** A branch with no release for this long is closed (and falls back to its track/risk). */
  branchTtlSeconds: number;
  /** The longest lifetime createToken grants. */
  maxTokenTtlSeconds: number;
  scryptCost: number;
  archiveLimits: ArchiveLimits;
  /** Largest body `POST /uploads` accepts (also the largest resource). */
  maxUploadBytes: number;
  uploadTtlSeconds: number;
  /** Most channels one release or closeChannels may name. */
  maxChannelsPerChange: number;
  /** Most instances one refresh may ask about; DEFAULT_MAX_REFRESH_INSTANCES when absent. */
  maxRefreshInstances?: number;
  writes: WriteSettings;
  /** Which webhook targets are allowed; private ranges are refused when absent. */
  webhooks?: WebhookTargetPolicy;
}

/** How the write pipeline retries a transaction PostgreSQL rolled back for a deadlock or serialization failure, and batches writers. */
export interface WriteSettings {
  /** Further attempts after the first. */
  retries: number;
  /** The first back-off; each further one doubles, with full jitter. */
  retryBaseDelayMs: number;
  /** The most writers of one entity that share a transaction (pipeline/entity-batch.ts); 1: each alone. */
  batchMax: number;
}

/** What every use case receives: the database, the caller, a clock, and settings. */
export interface ServiceContext {
  prisma: PrismaClient;
  /** Hand-written SQL on the driver's own connections (Database.sql): authentication, the write pipeline's transactions. */
  sql: SqlDriver;
  actor: Actor | null;
  now(): Date;
  settings: ServiceSettings;
  /** Where archives and resources live. */
  blobs: BlobStore;
  /** Receives an event after each committed write. */
  events: DomainEventPublisher;
  logger: Pick<Logger, 'error' | 'warn'>;
  /** The network address the request came from, when known (for throttling sign-ins). */
  clientAddress?: string | null;
  /** Failed sign-in counts of this process. */
  loginThrottle?: LoginThrottle;
  /** Set while the answer being computed may be kept for later requests (read-validity.ts). */
  readValidity?: ReadValidity;
}
