"""Makes tests/app_support.py importable (a site-packages module named `tests` shadows ours)."""

import sys
from pathlib import Path

_TESTS = str(Path(__file__).resolve().parents[1])
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)
