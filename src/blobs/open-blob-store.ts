import type { StoreConfig } from '../config.js';
import type { BlobStore } from './blob-store.js';
import { FileBlobStore } from './file-blob-store.js';

/**
 * The configured blob backend. The S3 one is imported only when chosen, so
 * a filesystem store never loads the AWS SDK (a few MiB of modules).
 */
export async function openBlobStore(config: Pick<StoreConfig, 'blobDir' | 's3'>): Promise<BlobStore> {
  if (config.s3 === undefined) return FileBlobStore.open(config.blobDir);
  const { S3BlobStore } = await import('./s3-blob-store.js');
  return S3BlobStore.open(config.s3);
}

/** Where the blobs are, for log lines and error messages. */
export function blobLocation(config: Pick<StoreConfig, 'blobDir' | 's3'>): string {
  return config.s3 === undefined ? config.blobDir : `s3://${config.s3.bucket}/${config.s3.prefix}`;
}
