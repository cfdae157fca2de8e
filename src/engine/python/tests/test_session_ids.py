"""New session ids: the shape Node accepts, in creation order, and unguessable after the time."""
import re
import time
import unittest
from unittest import mock

from pse import _session_ids
from pse._session_ids import ORDERED, new_session_id, time_prefix

SHAPE = re.compile(r'^[A-Za-z0-9_-]{43}$')


class SessionIdTest(unittest.TestCase):
    def test_shape_is_what_node_accepts(self):
        for _ in range(200):
            self.assertRegex(new_session_id(), SHAPE)

    def test_alphabet_is_the_url_safe_one_in_byte_order(self):
        self.assertEqual(len(set(ORDERED)), 64)
        self.assertEqual(list(ORDERED), sorted(ORDERED))
        self.assertTrue(all(SHAPE.match(c * 43) for c in ORDERED))

    def test_time_prefix_sorts_as_the_times_do(self):
        times = [0, 1, 63, 64, 65, 4095, 4096, 1_700_000_000_000, 1_700_000_000_001,
                 1_764_000_000_000, 2 ** 48 - 1]
        prefixes = [time_prefix(t) for t in times]
        self.assertEqual(prefixes, sorted(prefixes))
        self.assertEqual(len(set(prefixes)), len(times))
        self.assertTrue(all(len(p) == _session_ids.TIME_CHARS for p in prefixes))
        self.assertEqual(time_prefix(0), '-' * 8)
        self.assertEqual(time_prefix(2 ** 48 - 1), 'z' * 8)

    def test_ids_of_later_milliseconds_sort_after(self):
        with mock.patch.object(_session_ids.time, 'time_ns', return_value=1_764_000_000_000 * 10 ** 6):
            early = [new_session_id() for _ in range(50)]
        with mock.patch.object(_session_ids.time, 'time_ns', return_value=1_764_000_000_001 * 10 ** 6):
            late = [new_session_id() for _ in range(50)]
        self.assertLess(max(early), min(late))

    def test_the_part_after_the_time_is_random(self):
        now = time.time_ns()
        with mock.patch.object(_session_ids.time, 'time_ns', return_value=now):
            ids = [new_session_id() for _ in range(1000)]
        self.assertEqual(len({i[:8] for i in ids}), 1)
        self.assertEqual(len(set(ids)), 1000)
        # every character of the alphabet turns up at every random position over 1000 ids
        # (a fixed or biased position would miss some: 64 values, ~16 draws each)
        for pos in range(8, 43):
            seen = {i[pos] for i in ids}
            self.assertGreater(len(seen), 50, 'position %d' % pos)


if __name__ == '__main__':
    unittest.main()
