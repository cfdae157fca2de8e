"""What a worker's start costs: the modules it imports, and its own modules' bytecode."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: standard modules the worker does without at start (each costs every start a few ms);
#: a servlet that needs one imports it then
NOT_AT_START = ('hashlib', '_hashlib', 'secrets', 'hmac', 'datetime', 'html', 'html.entities',
                'platform')


def run_python(code, env=None, cwd=None):
    # -S: site's own imports (a .pth file's) are not the worker's
    return subprocess.run([sys.executable, '-S', '-c', code], capture_output=True, text=True,
                          env=env, cwd=cwd, check=True).stdout.strip()


class WorkerStartTest(unittest.TestCase):
    def test_the_worker_imports_none_of_the_costly_modules(self):
        code = ('import sys; sys.path.insert(0, %r); import pse._worker; '
                'print(",".join(m for m in %r if m in sys.modules))' % (PYTHON_DIR, NOT_AT_START))
        self.assertEqual(run_python(code), '')

    def test_its_own_modules_are_compiled_once_even_where_bytecode_is_off(self):
        with tempfile.TemporaryDirectory() as tmp:
            copy = os.path.join(tmp, 'python')
            shutil.copytree(PYTHON_DIR, copy, ignore=shutil.ignore_patterns('__pycache__', 'tests'))
            app = os.path.join(tmp, 'app')
            os.mkdir(app)
            with open(os.path.join(app, 'helper.py'), 'w') as f:
                f.write('X = 1\n')
            env = dict(os.environ, PYTHONDONTWRITEBYTECODE='1')
            code = ('import sys; sys.path[:0] = [%r, %r]; import pse_boot, helper; '
                    'print(sys.dont_write_bytecode)' % (copy, app))
            # the setting is the application's again once PSE's modules are in
            self.assertEqual(run_python(code, env=env), 'True')
            cached = os.listdir(os.path.join(copy, 'pse', '__pycache__'))
            self.assertIn('_worker.%s.pyc' % sys.implementation.cache_tag, cached)
            self.assertFalse(os.path.exists(os.path.join(app, '__pycache__')))


if __name__ == '__main__':
    unittest.main()
