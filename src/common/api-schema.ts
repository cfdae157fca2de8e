/**
 * The argument schema of every StudioApi call and the list of its events. Keyed by the API's own
 * names, so the compiler refuses a call or event that has no entry here.
 */
import type { CommandName, EventName } from './api.js';
import { INSPECTOR_ARGS, INSPECTOR_EVENTS } from './api-inspector.js';
import { TESTING_ARGS } from './api-testing.js';
import { EXCEPTIONS_ARGS } from './api-exceptions.js';
import type { Schema } from './schema.js';

const MAX_TEXT = 16 * 1024 * 1024;
const path: Schema = { t: 'string', max: 4096, min: 1 };
const text: Schema = { t: 'string', max: MAX_TEXT };
const short: Schema = { t: 'string', max: 8192 };

const previewRequest: Schema = {
  t: 'object',
  fields: {
    path,
    overrides: { t: 'record', of: text, max: 16 },
    method: { t: 'enum', values: ['GET', 'POST'] },
    query: short,
    form: { t: 'array', of: { t: 'tuple', items: [short, short] }, max: 1000 },
    cookies: { t: 'record', of: short, max: 100 },
    session: {
      t: 'union',
      tag: 'kind',
      cases: {
        none: { t: 'object', fields: { kind: { t: 'enum', values: ['none'] } } },
        fresh: { t: 'object', fields: { kind: { t: 'enum', values: ['fresh'] } } },
        existing: {
          t: 'object',
          fields: {
            kind: { t: 'enum', values: ['existing'] },
            id: { t: 'string', max: 256, min: 1 },
          },
        },
      },
    },
  },
};

/** Positional argument schemas of each call. */
export const API_ARGS: { readonly [K in CommandName]: readonly Schema[] } = {
  getWorkspace: [],
  listTree: [],
  readFile: [path],
  writeFile: [path, text],
  createFile: [path, { t: 'enum', values: ['file', 'dir'] }],
  renamePath: [path, path],
  deletePath: [path],
  compileCheck: [path, text],
  preview: [previewRequest],
  listSessions: [],
  serverStatus: [],
  startServer: [{ t: 'int', min: 0, max: 65535 }],
  stopServer: [],
  ...INSPECTOR_ARGS,
  ...TESTING_ARGS,
  ...EXCEPTIONS_ARGS,
};

const EVENTS: { readonly [K in EventName]: true } = {
  onFileChange: true,
  onLog: true,
  onServerStatus: true,
  onPreviewNavigation: true,
  ...INSPECTOR_EVENTS,
};

export const COMMAND_NAMES = Object.keys(API_ARGS) as CommandName[];
export const EVENT_NAMES = Object.keys(EVENTS) as EventName[];

export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(API_ARGS, name);
}

export function isEventName(name: string): name is EventName {
  return Object.hasOwn(EVENTS, name);
}
