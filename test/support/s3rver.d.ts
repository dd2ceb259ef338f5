// s3rver ships no types; these are the parts the tests use (its README documents them).
declare module 's3rver' {
  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    configureBuckets?: Array<{ name: string; configs?: unknown[] }>;
  }
  export default class S3rver {
    constructor(options: S3rverOptions);
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
}

declare module 's3rver/lib/stores/filesystem.js' {
  import type { Readable } from 'node:stream';
  interface PutObject {
    bucket: string;
    key: string;
    metadata: unknown;
    content: Buffer | Readable;
  }
  export default class FilesystemStore {
    getResourcePath(bucket: string, key: string, resource: string): string;
    putMetadata(bucket: string, key: string, metadata: unknown, md5?: string): Promise<void>;
    getMetadata(bucket: string, key: string): Promise<Record<string, unknown>>;
    putObject(this: FilesystemStore, object: PutObject): Promise<{ size: number; md5: string }>;
    copyObject(this: FilesystemStore, srcBucket: string, srcKey: string, destBucket: string, destKey: string, replacementMetadata?: unknown): Promise<Record<string, unknown>>;
    deleteObject(this: FilesystemStore, bucket: string, key: string): Promise<void>;
  }
}
