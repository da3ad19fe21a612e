"""The format sniffers read a file's head one way: unreadable means "not this format"."""

from __future__ import annotations

import zipfile

import pytest

from seisgan_core.io.errors import FormatError
from seisgan_core.io.esm_ascii import is_esm_ascii
from seisgan_core.io.flatfile import is_flatfile
from seisgan_core.io.itaca_legacy import is_cor_acc, is_rs
from seisgan_core.io.quakeml import is_quakeml
from seisgan_core.io.safety import read_head, zip_members

SNIFFERS = [is_esm_ascii, is_flatfile, is_cor_acc, is_rs, is_quakeml]


@pytest.mark.parametrize("sniffer", SNIFFERS, ids=lambda f: f.__name__)
def test_a_missing_file_or_a_folder_is_no_format(sniffer, tmp_path):
    assert sniffer(tmp_path / "absent.txt") is False
    assert sniffer(tmp_path) is False


def test_read_head_reads_at_most_the_asked_bytes(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(bytes(range(200)))
    assert read_head(path, 16) == bytes(range(16))
    assert read_head(path, 1000) == bytes(range(200))
    assert read_head(tmp_path / "absent", 16) == b""


def test_zip_members_label_and_read_each_file_member(tmp_path):
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("x/one.txt", b"1" * 5000)
        zf.writestr("x/", b"")  # a folder entry: not a member to read
        zf.writestr("two.txt", b"22")
    members = [(label, info.filename, read()) for label, info, read in zip_members(path)]
    assert members == [
        (f"{path}::x/one.txt", "x/one.txt", b"1" * 5000),
        (f"{path}::two.txt", "two.txt", b"22"),
    ]
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(b"PK\x03\x04" + b"\0" * 40)
    with pytest.raises(FormatError, match="a zip archive, found a damaged zip"):
        list(zip_members(damaged))
