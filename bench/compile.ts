/**
 * Template compile throughput: a ≥1 MB template using every construct, compiled repeatedly
 * (lexer → parser → codegen, no Python). Target: ≥ 20 MB/s on an idle machine. On a busy one
 * read the last line: the compiler's speed relative to a minimal tokenizer measured in the
 * same run (1.0 = as fast as a loop that only cuts the text at each `<`).
 */
import { compileTemplate } from '../src/engine/template/index.js';
import { bigTemplate, BIG_TAGS } from '../test/template/helpers/big.js';

const RUNS = 10;

/**
 * The floor for any tokenizer on this machine right now: indexOf to the next `<`, one small
 * object and one output line per piece. Printed beside the result so that a figure taken on a
 * busy machine can be read as a ratio.
 */
function baselineMs(source: string): number {
  const c0 = process.cpuUsage();
  const pieces: { text: string; at: number }[] = [];
  for (let i = 0; i < source.length; ) {
    const j = source.indexOf('<', i + 1);
    const end = j < 0 ? source.length : j;
    pieces.push({ text: source.slice(i, end), at: i });
    i = end;
  }
  const out = pieces.map((p) => `__pse_out__(${JSON.stringify(p.text)})`).join('\n');
  if (out.length === 0) throw new Error('empty');
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

export async function run(): Promise<string[]> {
  // A flat string, as read from a file (`repeat`/`join` build ropes).
  const source = Buffer.from(bigTemplate(1024 * 1024)).toString();
  const bytes = Buffer.byteLength(source);
  const first = compileTemplate(source, { file: 'bench.pt', tags: BIG_TAGS });
  if (!first.ok) throw new Error(`bench template does not compile: ${first.errors[0]!.format()}`);
  for (let i = 0; i < 3; i++) compileTemplate(source, { file: 'bench.pt', tags: BIG_TAGS });
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    compileTemplate(source, { file: 'bench.pt', tags: BIG_TAGS });
    wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const mb = bytes / (1024 * 1024);
  const calibration = Math.min(baselineMs(source), baselineMs(source), baselineMs(source));
  const median = (xs: number[]): number =>
    [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rate = (ms: number): string => `${(mb / (ms / 1000)).toFixed(1)} MB/s`;
  return [
    `template: ${mb.toFixed(2)} MB, ${first.py.split('\n').length} generated lines, ${first.map.length} map entries`,
    `compile, wall clock: median ${median(wall).toFixed(1)} ms, best ${Math.min(...wall).toFixed(1)} ms over ${RUNS} runs`,
    `throughput: ${rate(median(wall))} median, ${rate(Math.min(...wall))} best (target ≥ 20 MB/s)`,
    // CPU time of this process (GC threads included) is what a busy machine does not inflate.
    `throughput by CPU time: ${rate(median(cpu))} median, ${rate(Math.min(...cpu))} best`,
    `calibration, a minimal tokenizer on the same input now: ${rate(calibration)} by CPU time`,
    // The machine-independent figure: the compiler's best CPU time against the tokenizer's.
    `compiler / minimal tokenizer speed: ${(calibration / Math.min(...cpu)).toFixed(2)}`,
  ];
}
