"""Read stage: turn paths (files, folders, archives, JSON lines) into raw units, with bounded memory.

Nothing here knows a source format; it only finds bytes and says where they came from.
Archives are read defensively: members with absolute or ``..`` paths are refused, and every
unit is capped in size so a zip bomb or a huge upload fails cleanly instead of exhausting memory.
"""

from __future__ import annotations

import gzip
import io
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from trials.ingest.records import RawSource

# The largest single unit (file, member or line) read into memory. A CT.gov study is ~17 KB and
# an API page of 1,000 studies ~20 MB; anything past this is refused with a clear message.
MAX_UNIT_BYTES = 256 * 1024 * 1024
# What a damaged archive raises: the archive modules' own errors, and their decompressors' (a
# corrupt deflate stream raises zlib.error, not OSError); an unknown zip method NotImplementedError.
_DAMAGED = (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError, zlib.error, lzma.LZMAError, NotImplementedError)
# Suffixes of files holding one record per line; these are streamed line by line.
JSON_LINES_SUFFIXES = (".jsonl", ".ndjson")


@dataclass(frozen=True)
class Unreadable:
    """A path or member that could not be read; the import reports it as a failed record."""

    origin: str
    error: str


def read_paths(paths: Iterable[str | Path]) -> Iterator[RawSource | Unreadable]:
    for path in paths:
        yield from read_path(Path(path))


def read_path(path: Path) -> Iterator[RawSource | Unreadable]:
    if path.is_dir():
        for child in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
            yield from read_path(child)
        return
    if not path.exists():
        yield Unreadable(str(path), "no such file or directory")
        return
    try:
        if path.stat().st_size > MAX_UNIT_BYTES and not _is_archive(path.name):
            # Refused before any of it is read: a plain file this size is not one set of records.
            yield Unreadable(str(path), f"larger than the {MAX_UNIT_BYTES // 2**20} MB limit for one file")
            return
        with path.open("rb") as stream:
            yield from read_stream(stream, path.name, origin=str(path))
    except OSError as exc:
        yield Unreadable(str(path), f"cannot read: {exc.strerror or exc}")


def _is_archive(name: str) -> bool:
    return name.lower().endswith((".zip", ".tar.gz", ".tgz", ".tar", ".gz", *JSON_LINES_SUFFIXES))


def read_stream(stream: io.BufferedIOBase, name: str, *, origin: str) -> Iterator[RawSource | Unreadable]:
    """Units held by one named byte stream (an uploaded file or a file on disk)."""
    lower = name.lower()
    try:
        if lower.endswith(".zip"):
            yield from _read_zip(stream, origin)
        elif lower.endswith((".tar.gz", ".tgz", ".tar")):
            yield from _read_tar(stream, origin)
        elif lower.endswith(".gz"):
            inner = name[: -len(".gz")]
            with gzip.GzipFile(fileobj=stream) as unzipped:
                yield from _read_plain(unzipped, inner, origin)
        else:
            yield from _read_plain(stream, name, origin)
    except _DAMAGED as exc:
        yield Unreadable(origin, f"damaged or unreadable archive: {exc}")


def _read_plain(stream, name: str, origin: str) -> Iterator[RawSource | Unreadable]:
    if name.lower().endswith(JSON_LINES_SUFFIXES):
        yield from _read_lines(stream, origin)
        return
    data = stream.read(MAX_UNIT_BYTES + 1)
    if len(data) > MAX_UNIT_BYTES:
        yield Unreadable(origin, f"larger than the {MAX_UNIT_BYTES // 2**20} MB limit for one file")
        return
    yield RawSource(origin, data)


def _read_lines(stream, origin: str) -> Iterator[RawSource | Unreadable]:
    for number, line in enumerate(stream, start=1):
        if len(line) > MAX_UNIT_BYTES:
            yield Unreadable(f"{origin}:line {number}", "line too long")
            continue
        if line.strip():
            yield RawSource(f"{origin}:line {number}", line.rstrip(b"\r\n"))


def _safe_member_name(name: str) -> bool:
    path = PurePosixPath(name.replace("\\", "/"))
    return not path.is_absolute() and ".." not in path.parts


def _read_zip(stream, origin: str) -> Iterator[RawSource | Unreadable]:
    with zipfile.ZipFile(stream) as archive:
        for info in archive.infolist():
            member = f"{origin}!{info.filename}"
            if info.is_dir() or PurePosixPath(info.filename).name.startswith("."):
                continue
            if not _safe_member_name(info.filename):
                yield Unreadable(member, "refused: member path leaves the archive")
                continue
            if info.file_size > MAX_UNIT_BYTES:
                yield Unreadable(member, "refused: member larger than the size limit")
                continue
            with archive.open(info) as handle:
                yield from _read_member(handle, info.filename, member)


def _read_tar(stream, origin: str) -> Iterator[RawSource | Unreadable]:
    with tarfile.open(fileobj=stream, mode="r:*") as archive:
        for info in archive:
            member = f"{origin}!{info.name}"
            if not info.isfile() or PurePosixPath(info.name).name.startswith("."):
                continue
            if not _safe_member_name(info.name):
                yield Unreadable(member, "refused: member path leaves the archive")
                continue
            if info.size > MAX_UNIT_BYTES:
                yield Unreadable(member, "refused: member larger than the size limit")
                continue
            handle = archive.extractfile(info)
            if handle is not None:
                yield from _read_member(handle, info.name, member)


def _read_member(handle, name: str, member: str) -> Iterator[RawSource | Unreadable]:
    # The size an archive declares can lie (zip bomb): cap what actually comes out.
    try:
        yield from _read_plain(io.BufferedReader(_Capped(handle)), name, member)
    except _DAMAGED as exc:
        yield Unreadable(member, f"unreadable member: {exc}")


class _Capped(io.RawIOBase):
    """A reader that fails once more than MAX_UNIT_BYTES come out of a decompressor."""

    def __init__(self, inner):
        self._inner = inner
        self._read = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self._inner.read(len(buffer))
        self._read += len(data)
        if self._read > MAX_UNIT_BYTES:
            raise OSError("decompressed data exceeds the size limit")
        buffer[: len(data)] = data
        return len(data)
