"""Checks on untrusted input: zip member names, zip bombs, XML entities, HDF5 links.

Users bring archives from the web; a reader must not write outside its folder, fill the disk
or memory, expand XML entities, or follow an HDF5 file into another file. Each check raises
:class:`~seisgan_core.io.errors.UnsafeInputError` naming the file and what was found.
"""

from __future__ import annotations

import functools
import lzma
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath

from seisgan_core.io.errors import FormatError, UnsafeInputError

__all__ = [
    "MAX_MEMBER_BYTES",
    "MAX_RATIO",
    "MAX_TOTAL_BYTES",
    "check_xml_bytes",
    "check_zip_member",
    "read_head",
    "read_path_bytes",
    "read_zip_member",
    "safe_zip_members",
    "split_zip_path",
    "zip_members",
]

# A strong-motion ASCII file of 1 h at 200 Hz is about 3 MB; 256 MiB per member leaves room
# for any real waveform file while refusing bombs that claim gigabytes.
MAX_MEMBER_BYTES = 256 * 1024**2
# All members of one zip together (a full ITACA event download is a few hundred MB).
MAX_TOTAL_BYTES = 4 * 1024**3
# Deflate on numeric text reaches about 3-10x; bombs reach 1000x and more. Members smaller
# than RATIO_FLOOR_BYTES are exempt (tiny files compress oddly and cannot hurt).
MAX_RATIO = 100.0
RATIO_FLOOR_BYTES = 1024**2


def check_zip_member(zip_path: str | Path, info: zipfile.ZipInfo) -> None:
    """Refuse a member with an unsafe name or a bomb-like declared size.

    Unsafe names: absolute (``/x``, ``C:\\x``, ``\\\\server``), or with a ``..`` part, in
    either slash convention (zipfile would sanitise some of these on extract, but a name like
    that says the archive was made to attack).
    """
    name = info.filename
    posix = PurePosixPath(name.replace("\\", "/"))
    win = PureWindowsPath(name)
    if name.startswith(("/", "\\")) or posix.is_absolute() or win.drive or win.root:
        raise UnsafeInputError(
            zip_path, None, "a relative member name", repr(name), field="member name"
        )
    if ".." in posix.parts:
        raise UnsafeInputError(
            zip_path, None, "a member name without '..'", repr(name), field="member name"
        )
    if info.file_size > MAX_MEMBER_BYTES:
        raise UnsafeInputError(
            zip_path,
            None,
            f"a member of at most {MAX_MEMBER_BYTES} bytes uncompressed",
            f"{info.file_size} bytes declared for {name!r}",
            field="member size",
        )
    if info.file_size > RATIO_FLOOR_BYTES:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > MAX_RATIO:
            raise UnsafeInputError(
                zip_path,
                None,
                f"a compression ratio of at most {MAX_RATIO:g}",
                f"{ratio:.0f} for {name!r}",
                field="member compression ratio",
            )


def safe_zip_members(zf: zipfile.ZipFile, zip_path: str | Path) -> list[zipfile.ZipInfo]:
    """Every file member of ``zf`` after the checks, directories left out."""
    members = [info for info in zf.infolist() if not info.is_dir()]
    total = 0
    for info in members:
        check_zip_member(zip_path, info)
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise UnsafeInputError(
            zip_path,
            None,
            f"at most {MAX_TOTAL_BYTES} bytes uncompressed in all",
            f"{total} bytes declared",
            field="archive size",
        )
    return members


_READABLE_METHODS = frozenset(
    {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
)


def read_zip_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, zip_path: str | Path) -> bytes:
    """The bytes of one checked member, never more than its declared size.

    ``zipfile`` stops decompressing at the declared size and checks the CRC, so a member that
    lies about its size fails instead of growing; we read one byte more to be sure.
    """
    check_zip_member(zip_path, info)
    if info.flag_bits & 0x1:
        raise FormatError(
            zip_path,
            None,
            "an unencrypted member",
            "an encrypted member (a password is needed): decrypt the archive first",
            field=info.filename,
        )
    if info.compress_type not in _READABLE_METHODS:
        raise FormatError(
            zip_path,
            None,
            "a member stored, deflated, bzip2- or LZMA-compressed",
            f"compression method {info.compress_type}, which Python's zipfile cannot read",
            field=info.filename,
        )
    try:
        with zf.open(info) as handle:
            data = handle.read(info.file_size + 1)
    except (
        zipfile.BadZipFile,
        zlib.error,
        lzma.LZMAError,
        EOFError,
        NotImplementedError,
        RuntimeError,
        OSError,  # bz2's "Invalid data stream"
    ) as exc:
        # a flipped bit fails the CRC-32 (or the inflate): the member is damaged, not unsafe
        raise FormatError(
            zip_path,
            None,
            "a member whose bytes match its CRC-32",
            f"a damaged member ({exc})",
            field=info.filename,
        ) from None
    if len(data) > info.file_size:
        raise UnsafeInputError(
            zip_path,
            None,
            f"{info.file_size} bytes as declared",
            "more data than declared",
            field=info.filename,
        )
    return data


def zip_members(path: str | Path) -> Iterator[tuple[str, zipfile.ZipInfo, Callable[[], bytes]]]:
    """Each file member of the zip at ``path``, after the archive's checks: its label
    ``path::member``, its info, and a function that reads its checked bytes
    (:func:`read_zip_member`). A damaged archive raises FormatError, an unsafe one
    UnsafeInputError, before the first member."""
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise FormatError(path, None, "a zip archive", f"a damaged zip ({exc})") from None
    with zf:
        for info in safe_zip_members(zf, path):
            read = functools.partial(read_zip_member, zf, info, path)
            yield f"{path}::{info.filename}", info, read


def read_head(path: str | Path, size: int) -> bytes:
    """The first ``size`` bytes of a file, for sniffing its format; empty when the file
    cannot be read (a sniffer says "not this format", the reader then says why)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(size)
    except OSError:
        return b""


def check_xml_bytes(data: bytes, path: str | Path, what: str = "XML") -> None:
    """Refuse XML with a document type declaration (entity expansion, external entities).

    QuakeML and StationXML never need a DTD; refusing ``<!DOCTYPE`` and ``<!ENTITY`` outright
    closes billion-laughs and XXE before lxml (inside ObsPy) sees the document.
    """
    head = data[:1_000_000].lower()
    for token in (b"<!doctype", b"<!entity"):
        if token in head:
            raise UnsafeInputError(
                path,
                None,
                f"{what} without a document type declaration",
                repr(token.decode().upper()),
                field=what,
            )


def split_zip_path(path: str | Path) -> tuple[Path, str] | None:
    """``('a.zip', 'member')`` for ``a.zip::member`` when ``a.zip`` is a file, else None."""
    text = str(path)
    if "::" not in text or Path(text).exists():
        return None
    archive, _, member = text.partition("::")
    if not Path(archive).is_file():
        return None
    return Path(archive), member


def read_path_bytes(path: str | Path) -> bytes:
    """The bytes of a file, or of a zip member named ``archive.zip::member`` (checked)."""
    split = split_zip_path(path)
    if split is None:
        return Path(path).read_bytes()
    archive, member = split
    with zipfile.ZipFile(archive) as zf:
        try:
            info = zf.getinfo(member)
        except KeyError:
            raise FileNotFoundError(f"{archive}: no member {member!r}") from None
        return read_zip_member(zf, info, archive)
