/** The page a servlet's exception answers: its traceback in development, a plain page otherwise. */
import { escapeHtml, htmlPage } from '../http/error-pages.js';
import type { HttpResponse } from '../http/types.js';
import type { ServletError } from '../runtime/protocol.js';

/**
 * A servlet raised. With ShowTracebacks the page names template and code-module lines (the worker
 * already mapped the frames); otherwise a plain page — the traceback goes to the error log only.
 * An ExceptionHook's html replaces PSE's own rendering.
 */
export function servletErrorPage(status: number, error: ServletError, show: boolean): HttpResponse {
  let body: Buffer;
  if (error.html) {
    body = Buffer.from(error.html);
  } else if (show) {
    const rows = error.frames
      .map(
        (f) =>
          `<tr><td>${escapeHtml(f.file)}:${f.line}${f.col ? `:${f.col}` : ''}</td><td>${escapeHtml(f.name)}</td>` +
          `<td>${escapeHtml(f.kind)}</td><td>${escapeHtml(f.source ?? '')}</td></tr>`,
      )
      .join('\n');
    body = htmlPage(
      status,
      `<p><b>${escapeHtml(error.type)}</b>: ${escapeHtml(error.message)}</p>\n` +
        (rows ? `<table>\n${rows}\n</table>\n` : '') +
        `<pre>${escapeHtml(error.text)}</pre>`,
    );
  } else {
    body = htmlPage(status, '<p>The page could not be produced. The error has been logged.</p>');
  }
  return {
    status,
    headers: [
      ['Content-Type', 'text/html; charset=utf-8'],
      ['Content-Length', String(body.length)],
    ],
    body,
  };
}

/** What the error log says of a servlet's exception. */
export function servletErrorText(error: ServletError): string {
  return `${error.type}: ${error.message}\n${error.text}`;
}
