/**
 * The `pse-template` language for Monaco: HTML outside PIs, Python inside `<? ?>` and `<?= ?>`
 * and inside expression attribute values (`attr="=expr"`, `attr="?expr"`, `attr?="expr"`),
 * folding of template blocks, and highlighting of a block's matching open/clause/close PIs.
 */
import * as monaco from 'monaco-editor/editor/editor.api';
import { blockAt, foldRanges } from './pse-blocks.js';

export const PSE_TEMPLATE = 'pse-template';

const tokenizer: monaco.languages.IMonarchLanguage = {
  defaultToken: '',
  ignoreCase: true,
  pyKeywords: (
    'and as assert break class continue def del elif else except exec finally for from global ' +
    'if import in is lambda not or pass print raise return try while with yield None True False'
  ).split(' '),
  tokenizer: {
    root: [
      [/<\?=?/, { token: 'metatag.pse', next: '@pi' }],
      [/<!--/, 'comment.html', '@comment'],
      [/<!DOCTYPE/, 'metatag.html', '@doctype'],
      [/(<\/?)([A-Za-z][\w.:-]*)/, ['delimiter.html', { token: 'tag.html', next: '@tag' }]],
      [/[^<]+/, ''],
      [/</, ''],
    ],
    // Python inside a PI, tokenized here rather than embedded: an embedded language would end at
    // the first '?>', even one inside a string, where the engine's own scanner does not.
    pi: [
      [/\?>/, { token: 'metatag.pse', next: '@pop' }],
      [/[rbuf]{0,2}"""/, 'string.python', '@pyLong2'],
      [/[rbuf]{0,2}'''/, 'string.python', '@pyLong1'],
      [/[rbuf]{0,2}"/, 'string.python', '@pyString2'],
      [/[rbuf]{0,2}'/, 'string.python', '@pyString1'],
      [/#(?:[^?]|\?(?!>))*/, 'comment.python'],
      [/\d+(?:\.\d*)?(?:e[+-]?\d+)?j?/, 'number.python'],
      [
        /[a-z_]\w*/,
        { cases: { '@pyKeywords': 'keyword.python', '@default': 'identifier.python' } },
      ],
      [/[{}()[\]]/, '@brackets.python'],
      [/\s+/, 'white.python'],
      [/./, 'delimiter.python'],
    ],
    pyString2: [
      [/[^\\"]+/, 'string.python'],
      [/\\./, 'string.escape.python'],
      [/"/, 'string.python', '@pop'],
    ],
    pyString1: [
      [/[^\\']+/, 'string.python'],
      [/\\./, 'string.escape.python'],
      [/'/, 'string.python', '@pop'],
    ],
    pyLong2: [
      [/"""/, 'string.python', '@pop'],
      [/\\./, 'string.escape.python'],
      [/[^\\"]+|"/, 'string.python'],
    ],
    pyLong1: [
      [/'''/, 'string.python', '@pop'],
      [/\\./, 'string.escape.python'],
      [/[^\\']+|'/, 'string.python'],
    ],
    comment: [
      [/-->/, 'comment.html', '@pop'],
      [/[^-]+/, 'comment.content.html'],
      [/./, 'comment.content.html'],
    ],
    doctype: [
      [/[^>]+/, 'metatag.content.html'],
      [/>/, 'metatag.html', '@pop'],
    ],
    tag: [
      [/\/?>/, 'delimiter.html', '@pop'],
      [/<\?=?/, { token: 'metatag.pse', next: '@pi' }],
      [
        /(\?=)(")/,
        ['delimiter.html', { token: 'metatag.pse', next: '@attrExpr', nextEmbedded: 'python' }],
      ],
      [/"(?:==|\?\?)/, 'attribute.value.html', '@dstring'],
      [/"[=?]/, { token: 'metatag.pse', next: '@attrExpr', nextEmbedded: 'python' }],
      [/"/, 'attribute.value.html', '@dstring'],
      [/'[^']*'/, 'attribute.value.html'],
      [/[\w.:-]+/, 'attribute.name.html'],
      [/=/, 'delimiter.html'],
      [/\s+/, ''],
    ],
    attrExpr: [[/"/, { token: 'metatag.pse', next: '@pop', nextEmbedded: '@pop' }]],
    dstring: [
      [/[^"]+/, 'attribute.value.html'],
      [/"/, 'attribute.value.html', '@pop'],
    ],
  },
};

let registered = false;

export function registerPseTemplate(): void {
  if (registered) return;
  registered = true;
  monaco.languages.register({ id: PSE_TEMPLATE, extensions: ['.pt'], aliases: ['PSE template'] });
  monaco.languages.setMonarchTokensProvider(PSE_TEMPLATE, tokenizer);
  monaco.languages.setLanguageConfiguration(PSE_TEMPLATE, {
    comments: { blockComment: ['<!--', '-->'] },
    brackets: [
      ['<?', '?>'],
      ['(', ')'],
      ['[', ']'],
      ['{', '}'],
    ],
    // No pair for '<?': Monaco cannot type over a ' ?>' it inserted, so a typed '?>' would leave
    // a stray one behind as page text.
    autoClosingPairs: [
      { open: '(', close: ')' },
      { open: '[', close: ']' },
      { open: '{', close: '}' },
      { open: '"', close: '"', notIn: ['string'] },
    ],
  });
  monaco.languages.registerFoldingRangeProvider(PSE_TEMPLATE, {
    provideFoldingRanges: (model) =>
      foldRanges(model.getValue()).map((r) => ({
        start: r.start,
        end: r.end,
        kind: monaco.languages.FoldingRangeKind.Region,
      })),
  });
  monaco.languages.registerDocumentHighlightProvider(PSE_TEMPLATE, {
    provideDocumentHighlights: (model, position) => {
      const block = blockAt(model.getValue(), model.getOffsetAt(position));
      if (!block) return [];
      return block.pis.map((pi) => {
        const a = model.getPositionAt(pi.start);
        const b = model.getPositionAt(pi.end);
        return {
          range: new monaco.Range(a.lineNumber, a.column, b.lineNumber, b.column),
          kind: monaco.languages.DocumentHighlightKind.Text,
        };
      });
    },
  });
}
