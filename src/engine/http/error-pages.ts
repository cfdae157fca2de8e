/** The pages PSE itself answers with: 4xx/5xx, and a servlet's traceback in development. */
import type { ServletError } from '../runtime/protocol.js';
import type { HttpResponse } from './types.js';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  416: 'Range Not Satisfiable',
  421: 'Misdirected Request',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function statusTitle(status: number): string {
  return TITLES[status] ?? 'Error';
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(status: number, inner: string): Buffer {
  const title = `${status} ${statusTitle(status)}`;
  return Buffer.from(
    `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title}</title>` +
      '<style>body{font-family:sans-serif;margin:2em}pre{background:#f6f6f6;padding:1em;overflow:auto}' +
      'td{padding:0 1em 0 0;font-family:monospace}</style></head>\n' +
      `<body><h1>${title}</h1>\n${inner}\n</body></html>\n`,
  );
}

export function errorPage(
  status: number,
  message?: string,
  headers: [string, string][] = [],
): HttpResponse {
  const body = page(status, message ? `<p>${escapeHtml(message)}</p>` : '');
  return {
    status,
    headers: [
      ...headers,
      ['Content-Type', 'text/html; charset=utf-8'],
      ['Content-Length', String(body.length)],
    ],
    body,
  };
}

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
    body = page(
      status,
      `<p><b>${escapeHtml(error.type)}</b>: ${escapeHtml(error.message)}</p>\n` +
        (rows ? `<table>\n${rows}\n</table>\n` : '') +
        `<pre>${escapeHtml(error.text)}</pre>`,
    );
  } else {
    body = page(status, '<p>The page could not be produced. The error has been logged.</p>');
  }
  return {
    status,
    headers: [
      ['Content-Type', 'text/html; charset=utf-8'],
      ['Content-Length', String(body.length)],
    ],
    body,
    error: `${error.type}: ${error.message}\n${error.text}`,
  };
}
