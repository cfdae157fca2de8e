/** The pages the HTTP core answers with itself: 4xx and 5xx. */
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

/** A small HTML page titled with the status, around `inner` (HTML). */
export function htmlPage(status: number, inner: string): Buffer {
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
  const body = htmlPage(status, message ? `<p>${escapeHtml(message)}</p>` : '');
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
