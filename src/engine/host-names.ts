/**
 * Host names as a `Host` header carries them and as `[Main] AllowedHosts` lists them: parsing
 * and matching only (the HTTP side is http/host-check.ts).
 */

/** One allowed host: a name or address, any port unless one is given; `.example.com` also
 * allows every subdomain. */
export interface HostPattern {
  /** lower case; an IPv6 address in brackets */
  host: string;
  port?: number;
  subdomains: boolean;
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);
const IPV6 = /^\[[0-9a-f:.]+\]$/;

/** A Host header value split into its host (lower case) and port; undefined when malformed. */
export function splitHost(value: string): { host: string; port?: number } | undefined {
  const m = /^(\[[^\]]*\]|[^:[\]]*)(?::(\d{1,5}))?$/.exec(value.trim().toLowerCase());
  if (!m || m[1] === '') return undefined;
  const host = m[1].endsWith('.') && !m[1].startsWith('[') ? m[1].slice(0, -1) : m[1];
  if (!NAME.test(host) && !IPV6.test(host)) return undefined;
  if (m[2] === undefined) return { host };
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { host, port } : undefined;
}

/** An `AllowedHosts` entry; throws a message saying what is wrong with it. */
export function parseHostPattern(raw: string): HostPattern {
  const subdomains = raw.startsWith('.');
  const split = splitHost(subdomains ? raw.slice(1) : raw);
  if (!split || (subdomains && split.host.startsWith('[')))
    throw new Error(
      `'${raw}' is not a host: expected a name or address with an optional port, such as example.com, .example.com (it and its subdomains), example.com:8080, 10.0.0.5 or [::1]`,
    );
  return { ...split, subdomains };
}

/** undefined when the Host header `value` matches one of `patterns`, else why not. */
export function hostProblem(
  patterns: readonly HostPattern[],
  value: string | undefined,
): string | undefined {
  if (value === undefined) return 'the request has no Host header';
  const got = splitHost(value);
  if (!got) return `the Host header ${JSON.stringify(value)} is malformed`;
  for (const p of patterns) {
    if (p.port !== undefined && p.port !== got.port) continue;
    if (got.host === p.host || (p.subdomains && got.host.endsWith('.' + p.host))) return undefined;
  }
  return `Host ${value} is not a name this server answers to`;
}

/** Studio's servers: 127.0.0.1, localhost or [::1], with the server's own port. */
export function loopbackPatterns(port: number): HostPattern[] {
  return ['127.0.0.1', 'localhost', '[::1]'].map((host) => ({ host, port, subdomains: false }));
}
