/** The embedded server: port, start/stop, and the URL to open outside Studio. */
import { useState } from 'react';
import type { ServerStatus } from '../../common/api.js';
import type { ApiClient } from '../../common/rpc.js';

export function ServerBar({
  api,
  status,
  onError,
}: {
  api: ApiClient;
  status: ServerStatus;
  onError(message: string): void;
}) {
  const [port, setPort] = useState('8080');
  const [busy, setBusy] = useState(false);
  const act = (p: Promise<unknown>): void => {
    setBusy(true);
    p.catch((err: Error) => onError(err.message)).finally(() => setBusy(false));
  };
  return (
    <div className="server-bar">
      <span className={`server-dot ${status.running ? 'on' : 'off'}`} />
      {status.running ? (
        <>
          <a className="server-url" href={status.url} target="_blank" rel="noreferrer">
            {status.url}
          </a>
          <button disabled={busy} onClick={() => act(api.stopServer())}>
            Stop server
          </button>
        </>
      ) : (
        <>
          <label>
            port{' '}
            <input
              aria-label="Server port"
              className="port"
              value={port}
              inputMode="numeric"
              onChange={(e) => setPort(e.target.value.replace(/\D/g, ''))}
            />
          </label>
          <button
            disabled={busy}
            onClick={() => {
              const n = Number(port || '0');
              if (!Number.isInteger(n) || n > 65535)
                return onError(`port ${port}: expected 0–65535`);
              act(api.startServer(n));
            }}
          >
            Start server
          </button>
        </>
      )}
    </div>
  );
}
