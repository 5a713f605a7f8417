"""Fuzzing the read stage: damaged archives end as units or ``Unreadable``, never an exception.

Real fixtures are packed as a zip, a tar.gz, a gz and JSON lines, then damaged (truncated, bytes
overwritten); ``read_stream`` must yield only ``RawSource`` and ``Unreadable`` with a message.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile

from hypothesis import given
from hypothesis import strategies as st

from tests.ingest.test_fuzz_parsers import FUZZ, _fixture, damaged_bytes
from trials.ingest.readers import Unreadable, read_stream
from trials.ingest.records import RawSource

MEMBERS = {"NCT00000246.xml": "ctgov_legacy_xml/NCT00000246.xml", "NCT00444327.json": "ctgov_api_v2/NCT00444327.json"}


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, path in MEMBERS.items():
            archive.writestr(name, _fixture(path))
    return out.getvalue()


def _tar() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, path in MEMBERS.items():
            data = _fixture(path)
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


PACKED = {
    "studies.zip": _zip(),
    "studies.tar.gz": _tar(),
    "NCT00000246.xml.gz": gzip.compress(_fixture("ctgov_legacy_xml/NCT00000246.xml")),
    "studies.jsonl": _fixture("ctgov_api_v2/studies.jsonl"),
}


@FUZZ
@given(st.sampled_from(sorted(PACKED)), st.data())
def test_damaged_archives_give_units_or_unreadable(name, data):
    damaged = data.draw(damaged_bytes(PACKED[name]))
    units = list(read_stream(io.BytesIO(damaged), name, origin=name))
    for unit in units:
        assert isinstance(unit, RawSource | Unreadable)
        if isinstance(unit, Unreadable):
            assert unit.error.strip() and unit.origin.startswith(name)


@FUZZ
@given(st.sampled_from(sorted(PACKED)), st.binary(max_size=2000))
def test_random_bytes_under_an_archive_name(name, data):
    assert all(isinstance(unit, RawSource | Unreadable) for unit in read_stream(io.BytesIO(data), name, origin=name))


def test_the_undamaged_archives_read_every_member():
    for name, packed in PACKED.items():
        units = list(read_stream(io.BytesIO(packed), name, origin=name))
        assert units and all(isinstance(unit, RawSource) for unit in units), name
