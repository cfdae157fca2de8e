/**
 * What node:http does at the edges of a connection, made to answer instead of cutting the socket:
 * a parse error after complete pipelined requests waits for their responses, a client that
 * half-closes after its request still gets the response, and CONNECT is refused with 405.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';

/** What a servlet server takes; servlets answer any method of these themselves. */
export const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

/** the newest response of each connection: responses finish in request order, so it is the last */
const lastResponse = new WeakMap<Duplex, http.ServerResponse>();

/** Call for every request, in the order they arrive on their connection. */
export function noteResponse(socket: Duplex, res: http.ServerResponse): void {
  lastResponse.set(socket, res);
}

/**
 * Answers a request node:http could not parse with `status` and closes the connection, after the
 * responses of the requests parsed before it on the same connection (pipelined ahead of the
 * garbage): they ran, so they are answered, in order, and the error comes last. A 405 or 501
 * (a method node:http does not know) says which methods are served.
 */
export function answerBadClient(socket: Duplex, status: string): void {
  const allow = /^405|^501/.test(status) ? `Allow: ${ALLOWED_METHODS}\r\n` : '';
  const send = (): void => {
    if (socket.writable)
      socket.end(`HTTP/1.1 ${status}\r\n${allow}Connection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  };
  const pending = lastResponse.get(socket);
  if (pending && !pending.writableFinished && !pending.destroyed) {
    let sent = false;
    const once = (): void => {
      if (!sent) {
        sent = true;
        send();
      }
    };
    pending.once('finish', once);
    pending.once('close', once);
  } else send();
}

/** CONNECT (a proxy tunnel): node:http would close the socket without a word. */
export function refuseConnect(_req: http.IncomingMessage, socket: Duplex): void {
  answerBadClient(socket, '405 Method Not Allowed');
}

/**
 * A client may end its side after sending a whole request (`shutdown(SHUT_WR)`, `nc -N`): by
 * default node:http then aborts the request and ends the socket, so the servlet runs and its
 * response is lost. With this flag (node:http's own, not in its typings) the response is written,
 * and the connection closes after it.
 */
export function allowHalfClose(server: http.Server): void {
  (server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
}
