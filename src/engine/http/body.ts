/**
 * Request bodies for servlets. The size limit is checked against Content-Length before reading
 * anything, and again while reading (chunked bodies), so an oversized body is never buffered.
 * urlencoded and multipart bodies are parsed with busboy; uploads and raw bodies larger than the
 * spool threshold go to temporary files, which the caller removes after the request.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import busboy from 'busboy';
import { HttpError } from './http-error.js';
import { headerValue, type FormEntry, type HttpRequest, type UploadValue } from './types.js';

export interface BodyOptions {
  maxBody: number;
  /** bytes kept in memory before a body or upload is written to a file */
  spoolThreshold: number;
  tmpDir: string;
}

export interface ParsedBody {
  form: FormEntry[];
  /** the raw body (not kept for multipart: its parts are in `form`) */
  body?: Buffer | { file: string };
  /** temporary files to remove after the request */
  temps: string[];
}

const EMPTY: ParsedBody = { form: [], temps: [] };

export async function readBody(req: HttpRequest, opts: BodyOptions): Promise<ParsedBody> {
  if (req.body === undefined) return EMPTY;
  const lengthHeader = headerValue(req.headers, 'content-length');
  if (lengthHeader !== undefined && Number(lengthHeader) > opts.maxBody) {
    throw tooLarge(opts.maxBody);
  }
  const type = (headerValue(req.headers, 'content-type') ?? '').toLowerCase();
  const temps: string[] = [];
  try {
    if (type.startsWith('multipart/form-data')) {
      return { form: await parseForm(req, opts, temps), temps };
    }
    if (type.startsWith('application/x-www-form-urlencoded')) {
      // Bounded by MaxBody and parsed whole, so it stays in memory.
      const chunks: Buffer[] = [];
      for await (const chunk of limited(req.body, opts.maxBody)) chunks.push(chunk);
      const body = Buffer.concat(chunks);
      return { form: [...new URLSearchParams(body.toString('utf8')).entries()], body, temps };
    }
    const body = await spool(limited(req.body, opts.maxBody), opts, temps);
    if (Buffer.isBuffer(body) && body.length === 0) return { form: [], temps };
    return { form: [], body, temps };
  } catch (err) {
    await removeTemps(temps);
    throw err;
  }
}

export async function removeTemps(files: string[]): Promise<void> {
  await Promise.all(files.map((f) => rm(f, { force: true })));
}

function tooLarge(max: number): HttpError {
  return new HttpError(413, `the request body is larger than MaxBody (${max} bytes)`, {
    closeConnection: true,
  });
}

async function* limited(src: Buffer | AsyncIterable<Buffer>, max: number): AsyncGenerator<Buffer> {
  if (Buffer.isBuffer(src)) {
    if (src.length > max) throw tooLarge(max);
    yield src;
    return;
  }
  let total = 0;
  try {
    for await (const chunk of src) {
      total += chunk.length;
      if (total > max) throw tooLarge(max);
      yield chunk;
    }
  } catch (err) {
    if (err instanceof HttpError) throw err;
    // The client went away or the connection broke mid-body: nothing to run.
    throw new HttpError(
      400,
      `the request body was cut short after ${total} bytes (${(err as Error).message})`,
    );
  }
}

function tempName(dir: string): string {
  return path.join(dir, `pse-${process.pid}-${randomBytes(8).toString('hex')}`);
}

/** Collect chunks in memory up to the threshold, then continue into a temporary file. */
class Spooler {
  private chunks: Buffer[] = [];
  private size = 0;
  private out: WriteStream | null = null;
  file: string | null = null;
  constructor(
    private readonly opts: BodyOptions,
    private readonly temps: string[],
  ) {}

  get length(): number {
    return this.size;
  }

  async write(chunk: Buffer): Promise<void> {
    this.size += chunk.length;
    if (!this.out && this.size <= this.opts.spoolThreshold) {
      this.chunks.push(chunk);
      return;
    }
    if (!this.out) {
      this.file = tempName(this.opts.tmpDir);
      this.temps.push(this.file);
      this.out = createWriteStream(this.file, { mode: 0o600 });
      for (const c of this.chunks) this.out.write(c);
      this.chunks = [];
    }
    if (!this.out.write(chunk))
      await new Promise<void>((resolve) => this.out!.once('drain', resolve));
  }

  async end(): Promise<Buffer | { file: string }> {
    if (!this.out) return Buffer.concat(this.chunks, this.size);
    this.out.end();
    await finished(this.out);
    return { file: this.file! };
  }
}

async function spool(
  src: AsyncIterable<Buffer>,
  opts: BodyOptions,
  temps: string[],
): Promise<Buffer | { file: string }> {
  const s = new Spooler(opts, temps);
  for await (const chunk of src) await s.write(chunk);
  return s.end();
}

function parseForm(req: HttpRequest, opts: BodyOptions, temps: string[]): Promise<FormEntry[]> {
  return new Promise<FormEntry[]>((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: req.headers as Record<string, string>,
        defParamCharset: 'utf8',
        limits: { fieldSize: opts.maxBody },
      });
    } catch (err) {
      reject(new HttpError(400, `malformed multipart request: ${(err as Error).message}`));
      return;
    }
    const form: FormEntry[] = [];
    const pending: Promise<void>[] = [];
    let failed = false;
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      source.destroy();
      reject(
        err instanceof HttpError
          ? err
          : new HttpError(400, `malformed multipart request: ${(err as Error).message}`),
      );
    };
    bb.on('field', (name, value) => form.push([name, value]));
    bb.on('file', (name, stream, info) => {
      const entry: UploadValue = { filename: info.filename ?? '', type: info.mimeType, size: 0 };
      form.push([name, entry]);
      const s = new Spooler(opts, temps);
      pending.push(
        (async () => {
          for await (const chunk of stream as AsyncIterable<Buffer>) await s.write(chunk);
          const out = await s.end();
          entry.size = s.length;
          if (Buffer.isBuffer(out)) entry.data = out;
          else entry.file = out.file;
        })(),
      );
    });
    bb.on('error', fail);
    bb.on('close', () => {
      Promise.all(pending).then(() => {
        if (!failed) resolve(form);
      }, fail);
    });
    const source = Readable.from(limited(req.body!, opts.maxBody));
    source.on('error', fail);
    source.pipe(bb);
  });
}
