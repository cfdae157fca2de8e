/** The embedded server: port, start/stop, and the URL to open outside Studio. */
import { useState } from 'react';
import type { ServerStatus } from '../../common/api.js';
import type { ApiClient } from '../../common/rpc.js';
import { portProblem } from '../base/port.js';
import { Field } from './Field.js';

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
            <Field
              aria-label="Server port"
              className="port"
              value={port}
              inputMode="numeric"
              title="0: any free port"
              onChange={setPort}
              validate={portProblem}
            />
          </label>
          <button
            disabled={busy}
            onClick={() => {
              const problem = portProblem(port);
              if (problem) return onError(`Server not started: ${problem}`);
              act(api.startServer(Number(port.trim())));
            }}
          >
            Start server
          </button>
        </>
      )}
    </div>
  );
}
