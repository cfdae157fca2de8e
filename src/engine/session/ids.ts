/**
 * Session ids: 43 URL-safe characters, the creation time first (8 characters of an alphabet in
 * byte order, so that ids sort as their times do), then 35 random ones (210 bits). Python makes
 * them for the sessions pages create (`pse/_session_ids.py`, which says why the time comes
 * first); Node makes them for sessions created from Studio, and checks the shape of every id a
 * cookie brings, so that a malformed cookie never reaches the store.
 */
import { randomBytes } from 'node:crypto';

const ID_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** The 64 URL-safe base64 characters in ascending byte order. */
const ORDERED = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz';
const TIME_CHARS = 8;
const RANDOM_CHARS = 35;

export function isWellFormedSessionId(id: unknown): id is string {
  return typeof id === 'string' && ID_SHAPE.test(id);
}

/** `ms` (0 ≤ ms < 2**48) as TIME_CHARS characters that sort as the numbers do. */
export function timePrefix(ms: number): string {
  let out = '';
  let rest = Math.floor(ms);
  for (let i = 0; i < TIME_CHARS; i++) {
    out = ORDERED[rest % 64]! + out;
    rest = Math.floor(rest / 64);
  }
  return out;
}

export function newSessionId(now = Date.now()): string {
  // 27 bytes are 36 base64url characters of 6 random bits each; 35 of them fill the id
  return timePrefix(now) + randomBytes(27).toString('base64url').slice(0, RANDOM_CHARS);
}
