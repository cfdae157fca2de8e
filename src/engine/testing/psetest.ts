/**
 * The `.psetest` format: a recorded visit, one statement a line, readable and hand-editable.
 *
 *   # comments and blank lines are ignored
 *   request POST /cart.pt?item=3          a step: method and target (path and query)
 *     header 'Accept' = 'text/html'       a request header
 *     form 'qty' = '2'                    a form field (sent urlencoded)
 *     body '{"a": 1}'                     a raw body instead of form fields
 *     status 200                          the expected status
 *     outcome committed                   the expected session outcome
 *     key '' 'count' = 2                  the session after the step: namespace, key, value
 *     key 'cart' 'when' = any             any value will do
 *     namespace 'cart' empty              a namespace that holds no keys
 *     namespace 'log' any                 a namespace that exists, whatever it holds
 *     session none                        no session data at all
 *
 * Once a step names any key, namespace or `session none`, its whole session is compared:
 * namespaces and keys it does not name must not exist. Values are the one-line text of
 * values.ts (Python repr as Studio's inspector shows it).
 */
import type { JournalOutcome } from '../../common/types/journal.js';
import { formatLocated, type LocatedError } from '../../common/types/located.js';
import type {
  Expected,
  ExpectedNamespace,
  TestFile,
  TestStep,
} from '../../common/types/testing.js';
import { pyString } from '../../common/python-literal.js';
import { unquote } from './values.js';

export const TEST_EXT = '.psetest';

const OUTCOMES: readonly JournalOutcome[] = [
  'committed',
  'rolled_back',
  'partially_committed',
  'read_only',
];
const METHODS = /^[A-Z]+$/;

/** A bad test file: every problem, located. */
export class TestFileError extends Error {
  constructor(readonly problems: LocatedError[]) {
    super(problems.map((p) => formatLocated(p)).join('\n'));
    this.name = 'TestFileError';
  }
}

class LineReader {
  pos: number;
  constructor(
    readonly text: string,
    start: number,
    private readonly fail: (col: number, message: string) => never,
  ) {
    this.pos = start;
  }
  skipSpace(): void {
    while (this.text[this.pos] === ' ' || this.text[this.pos] === '\t') this.pos++;
  }
  atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length || this.text[this.pos] === '#';
  }
  word(what: string): string {
    this.skipSpace();
    const m = /^[^\s#]+/.exec(this.text.slice(this.pos));
    if (!m) this.fail(this.pos, `expected ${what}`);
    this.pos += m[0].length;
    return m[0];
  }
  col(): number {
    this.skipSpace();
    return this.pos;
  }
  string(what: string): string {
    this.skipSpace();
    const r = unquote(this.text, this.pos);
    if ('error' in r) this.fail(r.at, `${what}: ${r.error}`);
    this.pos = r.end;
    return r.value;
  }
  literal(token: string): void {
    this.skipSpace();
    if (!this.text.startsWith(token, this.pos)) this.fail(this.pos, `expected '${token}'`);
    this.pos += token.length;
  }
  end(): void {
    if (!this.atEnd()) this.fail(this.pos, 'unexpected text at the end of the line');
  }
  /** the rest of the line as an expected value: `any`, or the value's text */
  expected(): Expected {
    this.skipSpace();
    const rest = this.text.slice(this.pos).trimEnd();
    if (rest === '') this.fail(this.pos, "expected a value (or 'any') after '='");
    this.pos = this.text.length;
    return rest === 'any' ? { any: true } : { text: rest };
  }
}

/** Reads a test file; throws TestFileError listing every bad line. */
export function parseTest(file: string, text: string): TestFile {
  const problems: LocatedError[] = [];
  const steps: TestStep[] = [];
  const lines = text.split(/\r?\n/);
  let step: TestStep | null = null;
  lines.forEach((raw, i) => {
    const line = i + 1;
    const fail = (col: number, message: string): never => {
      throw { located: { stage: 'parse', file, line, col: col + 1, message } as LocatedError };
    };
    try {
      const r = new LineReader(raw, 0, fail);
      if (r.atEnd()) return;
      const indented = r.col() > 0;
      const kwAt = r.col();
      const kw = r.word('a statement');
      if (kw === 'request') {
        if (indented) fail(kwAt, "'request' starts a step: it is not indented");
        const mAt = r.col();
        const method = r.word('a method (GET, POST, …)');
        if (!METHODS.test(method)) fail(mAt, `'${method}' is not a method: expected GET, POST, …`);
        const tAt = r.col();
        const target = r.word('a path such as /index.pt');
        if (!target.startsWith('/')) fail(tAt, `the path '${target}' must start with '/'`);
        r.end();
        step = { line, method, target, headers: [], form: [] };
        steps.push(step);
        return;
      }
      if (!step) fail(kwAt, `'${kw}' must follow a 'request' line`);
      if (!indented) fail(kwAt, `'${kw}' belongs to the request above: indent it`);
      const s = step!;
      switch (kw) {
        case 'header':
        case 'form': {
          const name = r.string(`the ${kw} name`);
          r.literal('=');
          const value = r.string(`the ${kw} value`);
          r.end();
          (kw === 'header' ? s.headers : s.form).push([name, value]);
          return;
        }
        case 'body': {
          if (s.body !== undefined) fail(kwAt, 'this request has a body already');
          s.body = r.string('the body');
          r.end();
          return;
        }
        case 'status': {
          const at = r.col();
          const w = r.word('a status such as 200');
          if (!/^[1-5]\d\d$/.test(w)) fail(at, `'${w}' is not an HTTP status (100–599)`);
          r.end();
          s.status = Number(w);
          return;
        }
        case 'outcome': {
          const at = r.col();
          const w = r.word('an outcome');
          if (!OUTCOMES.includes(w as JournalOutcome))
            fail(at, `'${w}' is not an outcome: expected one of ${OUTCOMES.join(', ')}`);
          r.end();
          s.outcome = w as JournalOutcome;
          return;
        }
        case 'session': {
          const at = r.col();
          const w = r.word("'none'");
          if (w !== 'none') fail(at, `expected 'session none', not 'session ${w}'`);
          r.end();
          s.session ??= [];
          if (s.session.length) fail(kwAt, "'session none' cannot follow keys or namespaces");
          return;
        }
        case 'namespace': {
          const name = r.string('the namespace name');
          const at = r.col();
          const w = r.word("'empty' or 'any'");
          if (w !== 'empty' && w !== 'any') fail(at, `expected 'empty' or 'any', not '${w}'`);
          r.end();
          const ns = namespaceOf(s, name, line);
          if (w === 'any') ns.keys = null;
          return;
        }
        case 'key': {
          const name = r.string('the namespace name');
          const key = r.string('the key');
          r.literal('=');
          const value = r.expected();
          const ns = namespaceOf(s, name, line);
          if (!ns.keys) fail(kwAt, `namespace ${pyString(name)} is 'any' in this step already`);
          if (ns.keys!.some(([k]) => k === key))
            fail(kwAt, `key ${pyString(key)} of ${pyString(name)} is given twice in this step`);
          ns.keys!.push([key, value]);
          return;
        }
        default:
          fail(
            kwAt,
            `unknown statement '${kw}': expected request, header, form, body, status, outcome, key, namespace or session`,
          );
      }
    } catch (e) {
      if (e && typeof e === 'object' && 'located' in e)
        problems.push((e as { located: LocatedError }).located);
      else throw e;
    }
  });
  if (problems.length === 0 && steps.length === 0)
    problems.push({
      stage: 'parse',
      file,
      line: 1,
      col: 1,
      message: 'no steps: a test needs a request line',
    });
  if (problems.length) throw new TestFileError(problems);
  return { file, steps };
}

function namespaceOf(s: TestStep, name: string, line: number): ExpectedNamespace {
  s.session ??= [];
  let ns = s.session.find((n) => n.name === name);
  if (!ns) {
    ns = { name, line, keys: [] };
    s.session.push(ns);
  }
  return ns;
}

/** Writes a test file (the inverse of parseTest, comments aside). */
export function printTest(steps: TestStep[], header: string[] = []): string {
  const out: string[] = header.map((h) => `# ${h}`);
  for (const s of steps) {
    if (out.length) out.push('');
    out.push(`request ${s.method} ${s.target}`);
    for (const [k, v] of s.headers) out.push(`  header ${pyString(k)} = ${pyString(v)}`);
    for (const [k, v] of s.form) out.push(`  form ${pyString(k)} = ${pyString(v)}`);
    if (s.body !== undefined) out.push(`  body ${pyString(s.body)}`);
    if (s.status !== undefined) out.push(`  status ${s.status}`);
    if (s.outcome !== undefined) out.push(`  outcome ${s.outcome}`);
    if (s.session && s.session.length === 0) out.push('  session none');
    for (const ns of s.session ?? []) {
      if (ns.keys === null) out.push(`  namespace ${pyString(ns.name)} any`);
      else if (ns.keys.length === 0) out.push(`  namespace ${pyString(ns.name)} empty`);
      else
        for (const [k, v] of ns.keys)
          out.push(`  key ${pyString(ns.name)} ${pyString(k)} = ${'any' in v ? 'any' : v.text}`);
    }
  }
  return out.join('\n') + '\n';
}
