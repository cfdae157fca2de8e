export {
  HttpApp,
  toErrorResponse,
  type AppOptions,
  type ServletHandler,
  type ServletRequest,
} from './app.js';
export { HttpError } from './http-error.js';
export { listen, DEFAULT_LIMITS, type RunningServer, type ServerLimits } from './node-adapter.js';
export { errorPage, servletErrorPage, escapeHtml } from './error-pages.js';
export type {
  FormEntry,
  HeaderList,
  HttpRequest,
  HttpResponse,
  RequestRecord,
  UploadValue,
} from './types.js';
