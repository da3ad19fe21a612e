"""Every case of the hostile-input corpus (cases.py) against the project's readers.

A case is either rejected with the project's own error type, its message naming the file and
what was expected and found, or read with its values checked. Files whose header claims more
data than they hold are read under tracemalloc: memory follows the bytes, not the claim.
"""

from __future__ import annotations

import tracemalloc

import pytest

from seisgan_core.catalog import read_records
from seisgan_core.io.errors import FormatError, SeisganIOError
from seisgan_testsupport.cases import CASES, FIXTURES, Case

pytestmark = pytest.mark.skipif(
    not FIXTURES.is_dir(), reason=f"real-data fixtures not found at {FIXTURES}"
)


def test_the_corpus_is_large_and_covers_every_format():
    formats = {c.fmt for c in CASES}
    assert len(CASES) >= 40
    assert formats >= {
        "esm", "esm_zip", "flatfile", "metadata", "cor_acc", "rs", "asdf", "quakeml",
        "checkpoint", "prepared", "run_samples",
    }  # fmt: skip
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case, tmp_path):
    path = case.build(tmp_path)
    if case.max_alloc_mb is not None:
        tracemalloc.start()
    try:
        if case.reject is None:
            result = case.read(path)
            case.check(result, path)
            return
        with pytest.raises(case.reject) as info:
            case.read(path)
    finally:
        if case.max_alloc_mb is not None:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            assert peak < case.max_alloc_mb * 1024**2, f"peak {peak / 1024**2:.1f} MB"
    error = info.value
    message = str(error)
    named = case.names(path) if case.names else str(path)
    assert isinstance(error, FormatError)
    assert error.path.startswith(named), (error.path, named)
    assert message.startswith(named) and "expected" in message and "found" in message, message
    for word in case.match:
        assert word in message, f"{word!r} not in {message!r}"


DATA_CASES = [c for c in CASES if c.catalog]


@pytest.mark.parametrize("case", DATA_CASES, ids=[c.name for c in DATA_CASES])
def test_case_through_the_catalog(case: Case, tmp_path):
    """read_records never lets a foreign exception out: a bad file is skipped with its reason
    (naming the file), a good one gives rows."""
    path = case.build(tmp_path)
    try:
        catalog = read_records([path])
    except SeisganIOError as exc:  # unsafe archives are refused as a whole
        assert case.reject is not None and str(exc).startswith(str(path)), str(exc)
        return
    reasons = " | ".join(reason for _, reason in catalog.skipped)
    if case.reject is None:
        assert not catalog.skipped, reasons
    else:
        assert any(str(p).startswith(str(path)) for p, _ in catalog.skipped), (
            f"{path} not skipped; table has {len(catalog.table)} rows"
        )
        assert str(path) in reasons and "expected" in reasons, reasons
