/**
 * `pse.cache = time.time() + 60`: the page's output is kept until then and served without running
 * the servlet. Keyed by GET + URL + Host. Kept in memory, and also under OutputCacheDir when set, so a
 * restarted server still has it (a disk entry is read back on a memory miss).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../private-files.js';
import type { HeaderList } from '../http/types.js';

export interface CachedPage {
  status: number;
  headers: HeaderList;
  body: Buffer;
  /** epoch ms */
  until: number;
}

const MAX_ENTRIES = 1000;

export class OutputCache {
  private readonly mem = new Map<string, CachedPage>();
  constructor(
    private readonly dir: string | null,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * GET and HEAD share a page; the Host is part of the key (lower case), so a server reached by
   * several names never serves one name's page, with its absolute links, under another.
   */
  static key(method: string, url: string, host: string | string[] | undefined): string | null {
    if (method !== 'GET' && method !== 'HEAD') return null;
    const name = Array.isArray(host) ? host[0] : host;
    return `GET ${url} ${name === undefined ? '' : name.toLowerCase()}`;
  }

  /** Nothing in memory and no OutputCacheDir: every `get` misses (no key needs to be made). */
  get empty(): boolean {
    return this.dir === null && this.mem.size === 0;
  }

  /** False when `get(key)` is sure to miss: no page in memory and no OutputCacheDir to look in.
   * Lets the request path skip an await for the common case of an uncached page. */
  mayHave(key: string): boolean {
    return this.dir !== null || this.mem.has(key);
  }

  async get(key: string): Promise<CachedPage | null> {
    let page = this.mem.get(key) ?? null;
    if (!page && this.dir) page = await this.readDisk(key);
    if (!page) return null;
    if (page.until <= this.now()) {
      await this.delete(key);
      return null;
    }
    return page;
  }

  async set(key: string, page: CachedPage): Promise<void> {
    if (page.until <= this.now()) return;
    if (this.mem.size >= MAX_ENTRIES) this.evict();
    this.mem.set(key, page);
    if (!this.dir) return;
    const file = this.file(key);
    const head = Buffer.from(
      JSON.stringify({ key, status: page.status, headers: page.headers, until: page.until }) + '\n',
    );
    await mkdir(this.dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    // write then rename: a reader never sees half a file
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, Buffer.concat([head, page.body]), { mode: PRIVATE_FILE_MODE });
    await rename(tmp, file);
  }

  async delete(key: string): Promise<void> {
    this.mem.delete(key);
    if (this.dir) await rm(this.file(key), { force: true });
  }

  clear(): void {
    this.mem.clear();
  }

  private evict(): void {
    const now = this.now();
    for (const [k, p] of this.mem) if (p.until <= now) this.mem.delete(k);
    if (this.mem.size >= MAX_ENTRIES) this.mem.delete(this.mem.keys().next().value!);
  }

  private file(key: string): string {
    return path.join(
      this.dir!,
      createHash('sha256').update(key).digest('hex').slice(0, 40) + '.page',
    );
  }

  private async readDisk(key: string): Promise<CachedPage | null> {
    let raw: Buffer;
    try {
      raw = await readFile(this.file(key));
    } catch {
      return null;
    }
    const nl = raw.indexOf(10);
    try {
      const head = JSON.parse(raw.subarray(0, nl).toString()) as {
        key: string;
        status: number;
        headers: HeaderList;
        until: number;
      };
      if (head.key !== key) return null;
      const page: CachedPage = {
        status: head.status,
        headers: head.headers,
        body: raw.subarray(nl + 1),
        until: head.until,
      };
      this.mem.set(key, page);
      return page;
    } catch {
      return null; // a damaged entry is a miss; the next store overwrites it
    }
  }
}
