import gzip
import io
import tarfile
import zipfile

import pytest

from trials.ingest import readers
from trials.ingest.readers import RawSource, Unreadable, read_paths

STUDY = b'{"protocolSection": {"identificationModule": {"nctId": "NCT00000001"}}}'


def test_plain_file_is_one_unit(tmp_path):
    path = tmp_path / "study.json"
    path.write_bytes(STUDY)
    assert list(read_paths([path])) == [RawSource(str(path), STUDY)]


def test_folder_is_read_recursively_in_name_order_skipping_hidden_files(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.json").write_bytes(b"2")
    (tmp_path / "1.json").write_bytes(b"1")
    (tmp_path / ".DS_Store").write_bytes(b"x")
    assert [u.data for u in read_paths([tmp_path])] == [b"1", b"2"]


def test_json_lines_are_streamed_line_by_line_with_line_numbers(tmp_path):
    path = tmp_path / "studies.jsonl.gz"
    with gzip.open(path, "wb") as out:
        out.write(b'{"a": 1}\n\n{"b": 2}\r\n')
    units = list(read_paths([path]))
    assert units == [RawSource(f"{path}:line 1", b'{"a": 1}'), RawSource(f"{path}:line 3", b'{"b": 2}')]


def test_zip_members_become_units_named_after_the_member(tmp_path):
    path = tmp_path / "ctg-studies.json.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("NCT00000001.json", STUDY)
        archive.writestr("folder/", "")
    assert list(read_paths([path])) == [RawSource(f"{path}!NCT00000001.json", STUDY)]


def test_zip_member_leaving_the_archive_is_refused(tmp_path):
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("../../etc/passwd.json", STUDY)
        archive.writestr("ok.json", STUDY)
    units = list(read_paths([path]))
    assert isinstance(units[0], Unreadable) and "leaves the archive" in units[0].error
    assert units[1] == RawSource(f"{path}!ok.json", STUDY)


def test_zip_bomb_is_cut_off_at_the_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_UNIT_BYTES", 1000)
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.json", b" " * 100_000)
    (unit,) = read_paths([path])
    assert isinstance(unit, Unreadable)
    assert "size limit" in unit.error


def test_tar_gz_members_are_read(tmp_path):
    path = tmp_path / "xml.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("ctgov/NCT00000001.xml")
        info.size = 5
        archive.addfile(info, io.BytesIO(b"<x/>\n"))
    assert list(read_paths([path])) == [RawSource(f"{path}!ctgov/NCT00000001.xml", b"<x/>\n")]


@pytest.mark.parametrize("name", ["broken.zip", "broken.gz", "broken.tar.gz"])
def test_damaged_archive_is_unreadable_not_a_crash(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"this is not an archive at all")
    (unit,) = read_paths([path])
    assert isinstance(unit, Unreadable)
    assert unit.origin == str(path)


def test_missing_path_is_reported(tmp_path):
    (unit,) = read_paths([tmp_path / "nope.json"])
    assert unit == Unreadable(str(tmp_path / "nope.json"), "no such file or directory")
