/**
 * The last check before a response's head leaves: node:http refuses a header name that is not a
 * token or a value with a control character or a character beyond U+00FF, and refusing means an
 * empty reply. The worker already refuses such values where the page sets them (a located error);
 * this keeps anything else that slips through from becoming an empty reply, and makes the access
 * log record the 500 that is actually sent.
 */
import { errorPage } from './error-pages.js';
import { isFileBody, type Answer, type HeaderList } from './types.js';

// The same rules as node:http's checkIsHttpToken and checkInvalidHeaderChar.
const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const BAD_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

/** What is wrong with the first header node:http would refuse, or undefined when all can be sent. */
export function unsendableHeader(headers: HeaderList): string | undefined {
  for (const [name, value] of headers) {
    if (typeof name !== 'string' || !TOKEN.test(name))
      return `the header name ${JSON.stringify(name)} is not an HTTP token`;
    if (typeof value !== 'string') return `header ${name}: the value is not a string`;
    const bad = BAD_VALUE_CHAR.exec(value);
    if (bad)
      return `header ${name}: the value ${JSON.stringify(value)} contains ${JSON.stringify(bad[0])} at index ${bad.index}, which cannot be sent`;
  }
  return undefined;
}

/**
 * `answer` itself when its response's head can be sent; otherwise the same answer with a 500
 * saying why (a streamed body is drained, so that whatever produces it still ends).
 */
export function sendableAnswer<A extends Answer>(answer: A): A {
  const res = answer.res;
  const problem = unsendableHeader(res.headers);
  if (problem === undefined) return answer;
  const body = res.body;
  if (!Buffer.isBuffer(body) && !isFileBody(body)) void drain(body);
  return {
    ...answer,
    res: errorPage(500, `The page's response cannot be sent: ${problem}.`),
    error: `response head refused: ${problem}`,
  };
}

/** Let a streamed page run to its end although its bytes go nowhere. */
async function drain(body: AsyncIterable<Buffer>): Promise<void> {
  try {
    for await (const _ of body);
  } catch {
    // the page's own failure is recorded by its run
  }
}
