/**
 * A located INI reader for pse.conf: sections, `Option = value` (or `Option: value`), full-line
 * comments starting with `;` or `#`, and indented continuation lines (as Python's configparser).
 * It knows nothing about PSE's options; it only keeps where everything was written.
 */
import type { LocatedError } from '../../common/types/located.js';

export interface IniEntry {
  /** the option name as written */
  name: string;
  value: string;
  line: number;
  /** 1-based column of the option name */
  col: number;
  /** 1-based column where the value starts */
  valueCol: number;
}

export interface IniSection {
  name: string;
  line: number;
  col: number;
  entries: IniEntry[];
}

export interface IniDocument {
  sections: IniSection[];
  errors: LocatedError[];
}

const SECTION = /^\[([^\]]*)\]\s*$/;

export function parseIni(text: string, file: string): IniDocument {
  const sections: IniSection[] = [];
  const errors: LocatedError[] = [];
  const fail = (line: number, col: number, message: string, excerpt?: string): void => {
    errors.push({ stage: 'config', file, line, col, message, excerpt });
  };
  let current: IniSection | null = null;
  let last: IniEntry | null = null;
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith(';') || trimmed.startsWith('#')) {
      if (trimmed === '') last = null;
      return;
    }
    const indent = raw.length - raw.trimStart().length;
    if (indent > 0 && last) {
      // configparser continuation: the value goes on over indented lines.
      last.value = last.value === '' ? trimmed : `${last.value}\n${trimmed}`;
      return;
    }
    last = null;
    if (trimmed.startsWith('[')) {
      const m = SECTION.exec(trimmed);
      if (!m) {
        fail(
          line,
          indent + 1,
          'a section header must look like [Name] with nothing after the ]',
          raw,
        );
        current = null;
        return;
      }
      const name = m[1].trim();
      if (name === '') {
        fail(line, indent + 1, 'empty section name', raw);
        current = null;
        return;
      }
      const dup = sections.find((s) => s.name.toLowerCase() === name.toLowerCase());
      if (dup) {
        fail(line, indent + 1, `section [${name}] appears twice (first at line ${dup.line})`, raw);
        current = dup;
        return;
      }
      current = { name, line, col: indent + 1, entries: [] };
      sections.push(current);
      return;
    }
    const eq = firstSeparator(trimmed);
    if (eq < 0) {
      fail(
        line,
        indent + 1,
        `expected 'Option = value', a [Section] or a comment, found '${trimmed}'`,
        raw,
      );
      return;
    }
    const name = trimmed.slice(0, eq).trim();
    if (name === '') {
      fail(line, indent + 1, 'an option name is missing before the =', raw);
      return;
    }
    if (!current) {
      fail(
        line,
        indent + 1,
        `option '${name}' is outside any section: put it under [Main] or [plugins.<name>]`,
        raw,
      );
      return;
    }
    const afterSep = trimmed.slice(eq + 1);
    const value = afterSep.trim();
    const valueCol = indent + eq + 2 + (afterSep.length - afterSep.trimStart().length);
    const dup = current.entries.find((e) => e.name.toLowerCase() === name.toLowerCase());
    if (dup) {
      fail(
        line,
        indent + 1,
        `option '${name}' is set twice in [${current.name}] (first at line ${dup.line})`,
        raw,
      );
      return;
    }
    const entry: IniEntry = { name, value, line, col: indent + 1, valueCol };
    current.entries.push(entry);
    last = entry;
  });
  return { sections, errors };
}

function firstSeparator(s: string): number {
  const a = s.indexOf('=');
  const b = s.indexOf(':');
  if (a < 0) return b;
  if (b < 0) return a;
  return Math.min(a, b);
}
