import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeFrame,
  FrameDecoder,
  FrameError,
  type FrameHeader,
} from '../../src/engine/runtime/framing.js';

type Got = { header: FrameHeader & Record<string, unknown>; blobs: Buffer[] };

function collector(max?: number): { dec: FrameDecoder; got: Got[] } {
  const got: Got[] = [];
  const dec = new FrameDecoder(
    (header, blobs) =>
      got.push({ header: header as Got['header'], blobs: blobs.map((b) => Buffer.from(b)) }),
    max,
  );
  return { dec, got };
}

/** a frame built by hand, independently of encodeFrame */
function rawFrame(json: string, blobs: Buffer[] = []): Buffer {
  const h = Buffer.from(json, 'utf8');
  const head = Buffer.alloc(8);
  const total = 4 + h.length + blobs.reduce((n, b) => n + b.length, 0);
  head.writeUInt32LE(total, 0);
  head.writeUInt32LE(h.length, 4);
  return Buffer.concat([head, h, ...blobs]);
}

describe('encodeFrame', () => {
  it('writes the documented layout: u32le N, u32le H, JSON header with blob lengths, blobs', () => {
    const frame = encodeFrame({ t: 'res', id: 7 } as FrameHeader, [
      Buffer.from('abc'),
      Buffer.from(''),
    ]);
    const json = '{"t":"res","id":7,"b":[3,0]}';
    expect(frame.readUInt32LE(0)).toBe(frame.length - 4);
    expect(frame.readUInt32LE(4)).toBe(Buffer.byteLength(json));
    expect(frame.toString('utf8', 8, 8 + json.length)).toBe(json);
    expect(frame.subarray(8 + json.length).toString()).toBe('abc');
    expect(frame).toEqual(rawFrame(json, [Buffer.from('abc')]));
  });

  it('omits "b" when there are no blobs, and counts UTF-8 bytes, not characters', () => {
    const frame = encodeFrame({ t: 'log', msg: 'héllo €' } as FrameHeader);
    expect(frame).toEqual(rawFrame('{"t":"log","msg":"héllo €"}'));
  });
});

describe('FrameDecoder', () => {
  const frames = [
    { h: { t: 'beat' }, b: [] as Buffer[] },
    {
      h: { t: 'res', id: 1, body: 0, headers: [['Content-Type', 'text/html; charset=utf-8']] },
      b: [Buffer.from('<p>ünï</p>')],
    },
    { h: { t: 'chunk', job: 2, data: 1 }, b: [Buffer.alloc(0), Buffer.alloc(70_000, 7)] },
  ];
  const stream = Buffer.concat(frames.map((f) => encodeFrame({ ...f.h }, f.b)));

  it('decodes coalesced frames from one chunk, in order, blobs intact', () => {
    const { dec, got } = collector();
    dec.push(stream);
    expect(got.map((g) => g.header.t)).toEqual(['beat', 'res', 'chunk']);
    expect(got[1]!.blobs[0]!.toString()).toBe('<p>ünï</p>');
    expect(got[2]!.blobs[1]!.equals(Buffer.alloc(70_000, 7))).toBe(true);
    expect(dec.buffered).toBe(0);
  });

  it('decodes the same stream delivered one byte at a time', () => {
    const { dec, got } = collector();
    for (let i = 0; i < stream.length; i++) dec.push(stream.subarray(i, i + 1));
    expect(got.map((g) => g.header)).toEqual(
      frames.map((f) => ({ ...f.h, ...(f.b.length ? { b: f.b.map((x) => x.length) } : {}) })),
    );
    expect(dec.buffered).toBe(0);
  });

  it('round-trips any split of any frames (property)', () => {
    const frameArb = fc.record({
      t: fc.constantFrom('res', 'chunk', 'log', 'done'),
      msg: fc.string(),
      blobs: fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 4 }),
    });
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (fs, cuts) => {
          const bytes = Buffer.concat(
            fs.map((f) =>
              encodeFrame(
                { t: f.t, msg: f.msg } as FrameHeader,
                f.blobs.map((u) => Buffer.from(u)),
              ),
            ),
          );
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort(
            (a, b) => a - b,
          );
          const { dec, got } = collector();
          let prev = 0;
          for (const p of [...points, bytes.length]) {
            dec.push(bytes.subarray(prev, p));
            prev = p;
          }
          expect(got.length).toBe(fs.length);
          got.forEach((g, i) => {
            expect(g.header.t).toBe(fs[i]!.t);
            expect(g.header['msg']).toBe(fs[i]!.msg);
            expect(g.blobs.map((b) => [...b])).toEqual(fs[i]!.blobs.map((u) => [...u]));
          });
          expect(dec.buffered).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps a partial frame until the rest arrives', () => {
    const { dec, got } = collector();
    const f = encodeFrame({ t: 'log', msg: 'x'.repeat(100) } as FrameHeader);
    dec.push(f.subarray(0, 50));
    expect(got).toHaveLength(0);
    expect(dec.buffered).toBe(50);
    dec.push(Buffer.concat([f.subarray(50), f.subarray(0, 3)]));
    expect(got).toHaveLength(1);
    expect(dec.buffered).toBe(3);
  });

  const bad: [string, Buffer, RegExp][] = [
    ['invalid JSON', rawFrame('{"t":'), /not valid JSON/],
    ['a JSON array', rawFrame('[1,2]'), /not a JSON object/],
    ['no type', rawFrame('{"id":1}'), /no message type "t"/],
    [
      'bytes without a blob list',
      rawFrame('{"t":"res"}', [Buffer.from('zz')]),
      /2 bytes after its header but no blob list/,
    ],
    [
      'blob lengths that overrun',
      rawFrame('{"t":"res","b":[5]}', [Buffer.from('zz')]),
      /blob 0 length 5 does not fit/,
    ],
    [
      'blob lengths that fall short',
      rawFrame('{"t":"res","b":[1]}', [Buffer.from('zz')]),
      /blobs cover 1 of 2 bytes/,
    ],
    ['a negative blob length', rawFrame('{"t":"res","b":[-1]}'), /blob 0 length -1/],
  ];
  for (const [what, frame, message] of bad) {
    it(`rejects a frame with ${what}`, () => {
      const { dec, got } = collector();
      dec.push(encodeFrame({ t: 'beat' }));
      expect(() => dec.push(frame)).toThrow(message);
      expect(got).toHaveLength(1);
      // the stream is unusable after that: the error sticks
      expect(() => dec.push(encodeFrame({ t: 'beat' }))).toThrow(FrameError);
    });
  }

  it('rejects a header length larger than the frame, and names the byte offset', () => {
    const f = rawFrame('{"t":"beat"}');
    f.writeUInt32LE(999, 4);
    const { dec } = collector();
    dec.push(encodeFrame({ t: 'beat' }));
    expect(() => dec.push(f)).toThrow(
      /at byte 20: header length 999 does not fit in a frame of 16 bytes/,
    );
  });

  it('rejects an oversize length prefix before buffering it', () => {
    const { dec } = collector(1024);
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32LE(4096, 0);
    expect(() => dec.push(prefix)).toThrow(/frame length 4096 exceeds the limit of 1024 bytes/);
    const short = collector();
    expect(() => short.dec.push(Buffer.from([1, 0, 0, 0, 0]))).toThrow(
      /shorter than its header-length field/,
    );
  });

  it('rejects an oversize prefix that arrives split', () => {
    const { dec } = collector(1024);
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32LE(4096, 0);
    dec.push(prefix.subarray(0, 2));
    expect(() => dec.push(prefix.subarray(2))).toThrow(/exceeds the limit/);
  });
});
