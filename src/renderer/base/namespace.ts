/** How a session namespace is named on screen: '' is the standard dictionary of `session.new()`. */
export function namespaceLabel(name: string): string {
  return name === '' ? 'standard (session.new())' : `'${name}'`;
}
