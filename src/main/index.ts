/** electron-vite's main entry: the desktop shell. */
import { startDesktop } from './electron/app.js';

startDesktop().catch((err: unknown) => {
  console.error(
    `PSE Studio failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
  );
  process.exit(1);
});
