/** The servlet runtime's public surface: the worker pool, the interpreter probe, the template cache. */
export {
  WorkerPool,
  WorkerFailure,
  BootError,
  type FailureKind,
  type ExitInfo,
  type PoolOptions,
  type PoolStats,
  type RunInput,
  type RunHooks,
  type RunResult,
  type SourceProvider,
  type StartInfo,
  type AdminRequest,
  type AdminResult,
  type CheckError,
} from './pool.js';
export {
  resolvePython,
  PythonError,
  MIN_PYTHON,
  type PythonInfo,
  type ConfigPlace,
} from './python.js';
export { TemplateSources, type CompileFn } from './sources.js';
