/**
 * Session ids. Python makes them (`secrets.token_urlsafe(32)`: 256 random bits, 43 URL-safe
 * base64 characters); Node only checks their shape, so a malformed cookie never reaches the store.
 */
const ID_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function isWellFormedSessionId(id: unknown): id is string {
  return typeof id === 'string' && ID_SHAPE.test(id);
}
