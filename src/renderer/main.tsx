/** Renderer entry: connect to the Studio API (IPC or WebSocket), then mount the workbench. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connectApi } from './platform/api-client.js';
import { App } from './workbench/App.js';
import './workbench/styles.css';

const root = createRoot(document.getElementById('root')!);

connectApi().then(
  (api) =>
    root.render(
      <StrictMode>
        <App api={api} />
      </StrictMode>,
    ),
  (err: Error) => root.render(<div className="fatal">{err.message}</div>),
);
