/** Large templates for the linear-time test and the compile benchmark: every construct, repeated. */

/** Custom tags the chunk uses. */
export const BIG_TAGS: ReadonlySet<string> = new Set(['Box', 'Item']);

const CHUNK = `<div class="row" id="=f'r{n}'" data-k="==lit" data-q="??page=2">
<? for i in range(3): ?>
  <option value="=i" selected="?i == 1">Item <?= i ?> of <?= n ?></option>
<? :else: ?>
  <p>done &amp; dusted — ünïcödé ✓</p>
<? :for ?>
<? if x: ?><b>yes</b><? :elif y: ?>maybe<? :else: ?>no<? : ?>
<? try: ?><?= d['k'] ?><? :except KeyError as e: ?>none<? :finally: ?>.<? : ?>
<Box title="=x" on="?y"><Item n="1"/> text <?= x ?></Box>
<?
  a = 1
  b = [a,
       2]
  s = "?> is not the end"
?>
<!-- a comment <?= a ?> -->
<script>if (a < b && c > d) { var s = "<?= s ?>"; }</script>
<a href="<?= url ?>" class='link'>link</a>
</div>
`;

/** A template of at least `bytes` UTF-16 code units (about as many bytes: mostly ASCII). */
export function bigTemplate(bytes: number): string {
  const parts: string[] = [];
  let size = 0;
  for (let k = 0; size < bytes; k++) {
    const c = CHUNK.replace("f'r{n}'", `f'r{n}-${k}'`);
    parts.push(c);
    size += c.length;
  }
  return parts.join('');
}

/** Inputs that would be quadratic for a naive scanner (each retried from every `<`). */
export const PATHOLOGICAL: Record<string, string> = {
  'unclosed quotes': '<a title="x ',
  'unclosed tags': '<a b ',
  'unclosed comment with PIs': '<!-- <?= 1 ?> ',
  'unclosed script with PIs': '<script><?= 1 ?>',
  'substitutions in an unclosed tag': '<a href="=x" ',
  'unterminated strings in PIs': '<? x = "abc ?>\n',
  'open custom tags': '<Box>',
  'open blocks': '<? if x: ?>',
  'lone <': '< <',
  'one long line of text': 'abc def ',
};
