/** A page with a session for the Studio API tests: `cart` counts visits and keeps items. */
export const CART_APP: Record<string, string> = {
  'cart.py': [
    'from pse.plugins import session',
    'data = session.new()',
    "data['n'] = data.get('n', 0) + 1",
    "if pse.form.get('item'):",
    "    data.setdefault('items', []).append(pse.form['item'])",
    "n = data['n']",
    '',
  ].join('\n'),
  'cart.pt': 'n=<?= n ?>',
};
