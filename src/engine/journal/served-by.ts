/** Which engine process this is, as journal entries name it (several may share one journal). */
import os from 'node:os';
import type { ServedBy } from '../../common/types/journal.js';
import { instanceNumber } from '../cluster/instance.js';

export function thisProcess(): ServedBy {
  return { host: os.hostname(), pid: process.pid, instance: instanceNumber() };
}
