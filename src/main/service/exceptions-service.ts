/**
 * ExceptionsService: the exceptions part of StudioApi — the journal's failures grouped by type
 * and raising line, with app-relative file paths (as the editor opens them).
 */
import path from 'node:path';
import type { ExceptionGroup, ExceptionsApi } from '../../common/api-exceptions.js';
import { journalExceptions, type SessionService } from '../../engine/index.js';

export interface ExceptionsEngine {
  readonly appRoot: string;
  readonly sessionService: SessionService | null;
}

export class ExceptionsService implements ExceptionsApi {
  constructor(private readonly target: ExceptionsEngine | undefined) {}

  async exceptionGroups(): Promise<ExceptionGroup[]> {
    const journal = this.target?.sessionService?.journal;
    if (!journal?.enabled) return [];
    const root = this.target!.appRoot;
    return (await journalExceptions(journal)).map((g) => {
      if (!g.file || !path.isAbsolute(g.file)) return g;
      const rel = path.relative(root, g.file);
      return rel.startsWith('..') || path.isAbsolute(rel)
        ? g
        : { ...g, file: rel.split(path.sep).join('/') };
    });
  }
}
