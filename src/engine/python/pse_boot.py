"""Entry point of a PSE worker process: ``python -u pse_boot.py`` with fd 3 and fd 4 open.

The Node pool spawns this file directly (not ``-m``) so that the worker needs no installed
package: the folder holding this file is put first on ``sys.path`` and ``pse`` imports from it.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# PSE's own modules are compiled once into __pycache__ beside them even where
# PYTHONDONTWRITEBYTECODE is set (containers often set it): compiling them costs every worker
# start ~25 ms. The setting is restored for the application's modules, which import later. A
# read-only install is no error: Python then compiles in memory, as before.
_dont_write = sys.dont_write_bytecode
sys.dont_write_bytecode = False
from pse._worker import main  # noqa: E402  (the path must be set first)
sys.dont_write_bytecode = _dont_write

if __name__ == '__main__':
    main()
