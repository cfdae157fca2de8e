"""The line map of a compiled template, in both forms ``CompiledSource.map`` takes."""
import unittest

from pse._traceback import Template


def template(linemap):
    return Template(compile('pass', 'f', 'exec'), 'f.pt', linemap)


class LineMapTextTests(unittest.TestCase):
    def test_text_means_the_same_as_entries(self):
        entries = [[4, 9, 2], [1, 1, 1], [2, 3, 5]]
        text = '((4, 9, 2), (1, 1, 1), (2, 3, 5))'
        self.assertEqual(template(text).map, template(entries).map)
        self.assertEqual([template(text).position(n) for n in (1, 2, 3, 4, 99)],
                         [(1, 1), (3, 5), (3, 5), (9, 2), (9, 2)])

    def test_one_entry_and_none(self):
        self.assertEqual(template('((12, 345, 6789),)').map, [(12, 345, 6789)])
        self.assertEqual(template('()').map, [])
        self.assertEqual(template('()').position(7), (1, 1))
        self.assertEqual(template([]).position(7), (1, 1))

    def test_the_text_the_compiler_writes(self):
        # The value of a generated module's __pse_linemap__ line, as the server sends it.
        module = "__pse_out__('a')\n__pse_linemap__ = ((2,1,1),(3,4,17))\n"
        text = module.rsplit('__pse_linemap__ = ', 1)[1].rstrip('\n')
        namespace = {}
        exec(compile(module.replace("__pse_out__('a')", 'pass'), 'f', 'exec'), namespace)
        self.assertEqual(template(text).map, list(namespace['__pse_linemap__']))


if __name__ == '__main__':
    unittest.main()
