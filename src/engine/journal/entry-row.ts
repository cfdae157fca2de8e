/**
 * The JSON row of a journal entry. An entry is serialized when it is recorded, without its
 * serial (journal.ts, finishDraft); the serial goes in front when the entry is written, so that
 * an entry whose serial changes at its write (a provisional one, or one another process took)
 * costs a concatenation, not a second serialization.
 */
export function entryRow(json: string, serial: number): string {
  // an entry always has fields: `json` is `{"time":…}`, never `{}`
  return `{"serial":${serial},${json.slice(1)}`;
}
