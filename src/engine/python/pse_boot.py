"""Entry point of a PSE worker process: ``python -u pse_boot.py`` with fd 3 and fd 4 open.

The Node pool spawns this file directly (not ``-m``) so that the worker needs no installed
package: the folder holding this file is put first on ``sys.path`` and ``pse`` imports from it.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pse._worker import main  # noqa: E402  (the path must be set first)

if __name__ == '__main__':
    main()
