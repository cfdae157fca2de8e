/**
 * `Engine.open` for the CLI: the workers start before the rest of the engine loads, so that
 * their boot (Python's start, PSE's modules) and Node's loading overlap.
 */
import { bootWorkers } from '../engine/boot.js';
import type { Engine, EngineOptions, PseConfig } from '../engine/index.js';

/** `config`: pse.conf, when the command has read it already. */
export async function openEngine(
  appRoot: string,
  opts: EngineOptions,
  config?: PseConfig,
): Promise<Engine> {
  const boot = await bootWorkers(appRoot, opts, config);
  let engine: typeof import('../engine/index.js');
  try {
    engine = await import('../engine/index.js');
  } catch (err) {
    await boot.workers.abandon();
    await boot.locks?.close();
    throw err;
  }
  return engine.Engine.openBooted(boot, opts);
}
