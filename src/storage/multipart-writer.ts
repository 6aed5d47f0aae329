import {
  AbortMultipartUploadCommand,
  ChecksumAlgorithm,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
  type StorageClass,
} from '@aws-sdk/client-s3';
import { Writable } from 'node:stream';
import { lockFields, type ObjectLock } from './object-writes.js';
import { MAX_PARTS } from './part-size.js';

/** How long a failed upload waits for its own abort: the store may be what failed. */
const ABORT_TIMEOUT_MS = 5_000;

export interface MultipartWriterOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string;
  /** Undefined: the store's default. */
  readonly storageClass?: StorageClass;
  /** The retention the object gets; callers check that it holds (inspectStored, ensureLocked). */
  readonly lock?: ObjectLock;
  readonly partSize: number;
  /** The most parts the store takes in one upload; default S3's MAX_PARTS. */
  readonly maxParts?: number;
  /** Parts sent at once. */
  readonly queueSize: number;
  /** Called with a part's size each time one (or the whole object, when it fits in one part) is stored. */
  readonly onStored?: (bytes: number) => void;
}

/**
 * A Writable that stores everything written to it as one S3 object, with flat memory and few copies: each byte is
 * copied once, into one of `queueSize + 1` part buffers allocated on first use and reused for the whole upload, and
 * sent from there; at most `queueSize` parts are in flight, and a write waits for a free buffer (backpressure to
 * the producer). A body smaller than one part is sent with one PutObject. (The SDK's lib-storage `Upload` joins
 * the chunks of every part with `Buffer.concat` into a freshly allocated buffer: the benchmark measured that
 * allocation, its page faults and the garbage collection after it as the largest CPU cost of the backup process.)
 *
 * A failure of any part fails the stream; on destroy before the end, in-flight requests are cancelled and the
 * multipart upload is aborted. Callers still sweep the key for uploads an abort raced with (abortPendingUploads).
 */
export class MultipartWriter extends Writable {
  readonly #options: MultipartWriterOptions;
  readonly #free: Buffer[] = [];
  #current: Buffer | undefined;
  #filled = 0;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #parts: CompletedPart[] = [];
  #nextPartNumber = 1;
  #uploadId: Promise<string> | undefined;
  #completed = false;
  readonly #cancel = new AbortController();

  constructor(options: MultipartWriterOptions) {
    super({ highWaterMark: 1024 * 1024 });
    this.#options = options;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#append(chunk).then(() => {
      callback();
    }, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#finish().then(() => {
      callback();
    }, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#completed) {
      callback(error);
      return;
    }
    this.#cancel.abort(error ?? new Error('the upload was cancelled'));
    const uploadId = this.#uploadId;
    if (!uploadId) {
      callback(error);
      return;
    }
    const { client, bucket, key } = this.#options;
    // After the cancelled parts have settled (a part the store is still taking would outlive an earlier abort).
    // Best effort: the caller sweeps the key afterwards with retries (the store may be what failed).
    Promise.allSettled([...this.#inFlight])
      .then(() => uploadId)
      .then((UploadId) =>
        client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }), {
          abortSignal: AbortSignal.timeout(ABORT_TIMEOUT_MS),
        }),
      )
      .catch(() => undefined)
      .finally(() => {
        callback(error);
      });
  }

  async #append(chunk: Buffer): Promise<void> {
    const { partSize } = this.#options;
    for (let offset = 0; offset < chunk.length;) {
      // At most queueSize buffers are in flight and one is being filled, so the pool never grows past queueSize + 1.
      this.#current ??= this.#free.pop() ?? Buffer.allocUnsafe(partSize);
      const copied = chunk.copy(this.#current, this.#filled, offset, offset + partSize - this.#filled);
      this.#filled += copied;
      offset += copied;
      if (this.#filled === partSize) {
        await this.#room();
        this.#sendPart();
      }
    }
  }

  /** Waits until fewer than queueSize parts are in flight; a failed part fails the wait. */
  async #room(): Promise<void> {
    while (this.#inFlight.size >= this.#options.queueSize) await Promise.race(this.#inFlight);
  }

  #sendPart(): void {
    const buffer = this.#current;
    if (!buffer) return;
    const length = this.#filled;
    this.#current = undefined;
    this.#filled = 0;
    const partNumber = this.#nextPartNumber++;
    const maxParts = this.#options.maxParts ?? MAX_PARTS;
    if (partNumber > maxParts) {
      throw new Error(
        `the upload needs more than ${maxParts} parts of ${this.#options.partSize} bytes (max-parts): the dump ` +
          'grew far past the size of the database it came from. The upload was aborted.',
      );
    }
    const sending = this.#uploadPart(partNumber, buffer.subarray(0, length)).finally(() => {
      this.#inFlight.delete(sending);
      this.#free.push(buffer);
    });
    // Failures are seen by whoever waits on the part (a write waiting for a buffer, or the end); never unhandled.
    sending.catch(() => undefined);
    this.#inFlight.add(sending);
  }

  async #uploadPart(partNumber: number, body: Buffer): Promise<void> {
    const { client, bucket, key } = this.#options;
    const UploadId = await this.#startMultipartUpload();
    const result = await client.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        PartNumber: partNumber,
        Body: body,
        ContentLength: body.length,
      }),
      { abortSignal: this.#cancel.signal },
    );
    if (!result.ETag) throw new Error(`the store returned no ETag for part ${partNumber} of ${key}`);
    this.#parts.push({
      PartNumber: partNumber,
      ETag: result.ETag,
      ChecksumCRC32: result.ChecksumCRC32,
      ChecksumCRC32C: result.ChecksumCRC32C,
      ChecksumSHA1: result.ChecksumSHA1,
      ChecksumSHA256: result.ChecksumSHA256,
    });
    this.#options.onStored?.(body.length);
  }

  #startMultipartUpload(): Promise<string> {
    this.#uploadId ??= (async () => {
      const { client, bucket, key, contentType, storageClass, lock } = this.#options;
      // With the SDK's default checksums (AWS) parts carry a CRC32, and the upload must be created expecting it.
      // That also gives every part of a locked upload the checksum AWS asks of it; Ceph asks for none.
      const checksums = await client.config.requestChecksumCalculation();
      const created = await client.send(
        new CreateMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          ContentType: contentType,
          StorageClass: storageClass,
          ...lockFields(lock),
          ChecksumAlgorithm: checksums === 'WHEN_SUPPORTED' ? ChecksumAlgorithm.CRC32 : undefined,
        }),
        // Never cancelled: a create cancelled after the store took it would leave an upload nobody knows to abort.
      );
      if (!created.UploadId) throw new Error(`the store returned no upload id for ${key}`);
      return created.UploadId;
    })();
    return this.#uploadId;
  }

  async #finish(): Promise<void> {
    const { client, bucket, key, contentType, storageClass, lock } = this.#options;
    if (!this.#uploadId) {
      const body = this.#current?.subarray(0, this.#filled) ?? Buffer.alloc(0);
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          ContentType: contentType,
          StorageClass: storageClass,
          ...lockFields(lock, body),
        }),
        { abortSignal: this.#cancel.signal },
      );
      this.#completed = true;
      this.#options.onStored?.(body.length);
      return;
    }
    if (this.#filled > 0) {
      await this.#room();
      this.#sendPart();
    }
    while (this.#inFlight.size) await Promise.all(this.#inFlight);
    const UploadId = await this.#uploadId;
    const parts = [...this.#parts].sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
      { abortSignal: this.#cancel.signal },
    );
    this.#completed = true;
  }
}
