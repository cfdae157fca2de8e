/**
 * Frames on the worker pipes: `u32le N`, then N bytes = `u32le H`, H bytes of JSON header, blobs.
 * `header.b` lists the blob lengths. This is the hot path of every request: one allocation per
 * encoded frame, and decoded blobs are views into the received chunk (a copy happens only when a
 * frame arrives split over several chunks).
 */

/** Any protocol message: a JSON object with a type tag and, when it has blobs, their lengths. */
export interface FrameHeader {
  t: string;
  b?: number[];
}

/** Frames above this size are refused: a garbled length prefix must not make us buffer gigabytes. */
export const DEFAULT_MAX_FRAME = 1024 * 1024 * 1024;

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/**
 * Encodes a header and its blobs into one Buffer, ready for a single `write`. Sets `header.b`
 * (or removes it when there are no blobs), so a header object must not be shared between frames.
 */
export function encodeFrame(header: FrameHeader, blobs?: readonly Buffer[]): Buffer {
  let blobBytes = 0;
  if (blobs !== undefined && blobs.length > 0) {
    const lengths = new Array<number>(blobs.length);
    for (let i = 0; i < blobs.length; i++) {
      lengths[i] = blobs[i]!.length;
      blobBytes += lengths[i]!;
    }
    header.b = lengths;
  } else if (header.b !== undefined) {
    delete header.b;
  }
  const json = JSON.stringify(header);
  const headerBytes = Buffer.byteLength(json, 'utf8');
  const frame = Buffer.allocUnsafe(8 + headerBytes + blobBytes);
  frame.writeUInt32LE(4 + headerBytes + blobBytes, 0);
  frame.writeUInt32LE(headerBytes, 4);
  frame.write(json, 8, headerBytes, 'utf8');
  if (blobBytes > 0) {
    let at = 8 + headerBytes;
    for (const blob of blobs!) {
      blob.copy(frame, at);
      at += blob.length;
    }
  }
  return frame;
}

export type FrameHandler<T extends FrameHeader> = (header: T, blobs: Buffer[]) => void;

const NO_BLOBS: Buffer[] = [];

/**
 * Incremental decoder: feed it whatever the pipe delivers; it calls `onFrame` once per complete
 * frame, in order. After a FrameError the stream is unusable (the frame boundary is lost), and
 * every later `push` throws the same error.
 */
export class FrameDecoder<T extends FrameHeader = FrameHeader> {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private failed: FrameError | null = null;
  private received = 0; // bytes consumed before the current frame, for error messages

  constructor(
    private readonly onFrame: FrameHandler<T>,
    private readonly maxFrame: number = DEFAULT_MAX_FRAME,
    private readonly source = 'worker pipe',
  ) {}

  /** Bytes held while waiting for the rest of a frame. */
  get buffered(): number {
    return this.pendingBytes;
  }

  push(chunk: Buffer): void {
    if (this.failed) throw this.failed;
    if (chunk.length === 0) return;
    if (this.pendingBytes === 0) {
      this.consume(chunk);
      return;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < 4) return;
    const head = this.pending[0]!.length >= 4 ? this.pending[0]! : this.flatten();
    const need = 4 + this.checkLength(head.readUInt32LE(0));
    if (this.pendingBytes < need) return;
    this.consume(this.flatten());
  }

  private flatten(): Buffer {
    const all =
      this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [all];
    return all;
  }

  /** Decodes every whole frame in `buf`; keeps the tail (a partial frame) for the next push. */
  private consume(buf: Buffer): void {
    let at = 0;
    const end = buf.length;
    while (end - at >= 4) {
      const size = this.checkLength(buf.readUInt32LE(at));
      if (end - at - 4 < size) break;
      this.decodeOne(buf, at + 4, size);
      at += 4 + size;
      this.received += 4 + size;
    }
    if (at === end) {
      this.pending = [];
      this.pendingBytes = 0;
    } else {
      const rest = buf.subarray(at);
      this.pending = [rest];
      this.pendingBytes = rest.length;
    }
  }

  private checkLength(size: number): number {
    if (size < 4) this.fail(`frame length ${size} is shorter than its header-length field`);
    if (size > this.maxFrame) {
      this.fail(`frame length ${size} exceeds the limit of ${this.maxFrame} bytes`);
    }
    return size;
  }

  private decodeOne(buf: Buffer, start: number, size: number): void {
    const headerBytes = buf.readUInt32LE(start);
    if (headerBytes > size - 4) {
      this.fail(`header length ${headerBytes} does not fit in a frame of ${size} bytes`);
    }
    const jsonStart = start + 4;
    const jsonEnd = jsonStart + headerBytes;
    let header: unknown;
    try {
      header = JSON.parse(buf.toString('utf8', jsonStart, jsonEnd));
    } catch (err) {
      this.fail(`header is not valid JSON (${(err as Error).message})`);
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) {
      this.fail('header is not a JSON object');
    }
    const h = header as FrameHeader;
    if (typeof h.t !== 'string') this.fail('header has no message type "t"');
    const blobBytes = size - 4 - headerBytes;
    const lengths = h.b;
    if (lengths === undefined) {
      if (blobBytes !== 0)
        this.fail(`"${h.t}" frame has ${blobBytes} bytes after its header but no blob list`);
      this.onFrame(h as T, NO_BLOBS);
      return;
    }
    if (!Array.isArray(lengths)) this.fail(`"${h.t}" frame: "b" is not a list of blob lengths`);
    const blobs = new Array<Buffer>(lengths.length);
    let at = jsonEnd;
    for (let i = 0; i < lengths.length; i++) {
      const n = lengths[i];
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || at + n > jsonEnd + blobBytes) {
        this.fail(`"${h.t}" frame: blob ${i} length ${String(n)} does not fit the frame`);
      }
      blobs[i] = buf.subarray(at, at + n);
      at += n;
    }
    if (at !== jsonEnd + blobBytes) {
      this.fail(
        `"${h.t}" frame: blobs cover ${at - jsonEnd} of ${blobBytes} bytes after the header`,
      );
    }
    this.onFrame(h as T, blobs);
  }

  private fail(why: string): never {
    this.failed = new FrameError(
      `garbled frame on the ${this.source} at byte ${this.received}: ${why}`,
    );
    this.pending = [];
    this.pendingBytes = 0;
    throw this.failed;
  }
}
