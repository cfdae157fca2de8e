/** The answer of Studio's loopback servers to a request for a Host they do not serve. */
export function misdirectedText(why: string, port: number): string {
  return (
    `421 Misdirected Request: ${why}. This Studio server answers only to ` +
    `http://127.0.0.1:${port}, http://localhost:${port} and http://[::1]:${port}.\n`
  );
}
