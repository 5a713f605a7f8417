"""Bad input ends as a clear per-record or per-file error (or safely kept text): never a crash,
never a half-written trial, never unbounded memory. Built from real fixtures, damaged on purpose."""

import gzip
import zipfile

import pytest

from tests.conftest import FIXTURES
from trials.ingest import readers
from trials.models import ImportOutcome, SourceRecord, Trial

pytestmark = pytest.mark.django_db
XML = FIXTURES / "ctgov_legacy_xml" / "NCT00004296.xml"
VEEVA = FIXTURES / "veeva_page" / "001_6d5f8ce496a4989a.txt"
CSV = FIXTURES / "ctgov_csv" / "urology_ctg-studies.csv"
CLASSIC_HTML = FIXTURES / "ctgov_page" / "NCT05289856_classic.html"


def _errors(run) -> dict[str, str]:
    return {r.source.rsplit("/", 1)[-1]: r.error for r in run.reports if r.outcome == ImportOutcome.Outcome.FAILED}


def _nothing_written():
    return not Trial.objects.exists() and not SourceRecord.objects.exists()


def test_empty_file_and_binary_garbage(import_paths, tmp_path):
    (tmp_path / "empty.xml").write_bytes(b"")
    (tmp_path / "blank.txt").write_bytes(b"  \n\n\t ")
    (tmp_path / "garbage.bin").write_bytes(bytes(range(256)) * 64)
    run = import_paths(tmp_path)
    errors = _errors(run)
    assert run.failed == 3
    assert "empty file" in errors["empty.xml"] and "empty file" in errors["blank.txt"]
    assert "unrecognised format" in errors["garbage.bin"]
    assert _nothing_written()


def test_truncated_xml_names_the_place(import_paths, tmp_path):
    data = XML.read_bytes()
    (tmp_path / "cut.xml").write_bytes(data[: len(data) // 2])
    run = import_paths(tmp_path / "cut.xml")
    assert run.failed == 1
    assert "not valid XML" in _errors(run)["cut.xml"] and "line" in _errors(run)["cut.xml"]
    assert _nothing_written()


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE clinical_study [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE clinical_study [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
    ],
    ids=["external-entity", "billion-laughs"],
)
def test_xml_entities_are_refused_not_expanded(import_paths, tmp_path, doctype):
    text = XML.read_text()
    entity = "&xxe;" if "xxe" in doctype else "&d;"
    hostile = text.replace("<clinical_study>", doctype + "\n<clinical_study>", 1).replace(
        "<brief_title>", f"<brief_title>{entity}", 1
    )
    (tmp_path / "hostile.xml").write_text(hostile)
    run = import_paths(tmp_path / "hostile.xml", format="ctgov_legacy_xml")
    assert run.failed == 1 and "DOCTYPE" in _errors(run)["hostile.xml"]
    assert _nothing_written()


def test_zip_with_a_path_leaving_the_archive_and_a_bomb(import_paths, tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_UNIT_BYTES", 100_000)
    path = tmp_path / "upload.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("../../outside.xml", XML.read_bytes())
        archive.writestr("bomb.json", b" " * 10_000_000)  # 10 MB of spaces, ~10 KB compressed
        archive.writestr("good.xml", XML.read_bytes())
    run = import_paths(path)
    assert (run.created, run.failed) == (1, 2)
    errors = " ".join(_errors(run).values())
    assert "leaves the archive" in errors and "size limit" in errors


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(import_paths, tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_UNIT_BYTES", 1000)
    big = tmp_path / "big.xml"
    big.write_bytes(XML.read_bytes())
    opened = []
    monkeypatch.setattr(type(big), "open", lambda *a, **k: opened.append(a) or pytest.fail("read"))
    run = import_paths(big)
    assert run.failed == 1 and "limit for one file" in _errors(run)["big.xml"]
    assert opened == []


def test_latin1_and_utf16_text_are_read_with_their_accents(import_paths, tmp_path):
    veeva = VEEVA.read_text().replace("Zhijie Wang", "Zhijié Wäng")
    (tmp_path / "veeva-latin1.txt").write_bytes(veeva.encode("latin-1", errors="replace"))
    (tmp_path / "export-utf16.csv").write_bytes(CSV.read_text(encoding="utf-8-sig").encode("utf-16"))
    run = import_paths(tmp_path)
    assert run.failed == 0, _errors(run)
    assert Trial.objects.filter(lead_sponsor__name="Zhijié Wäng").exists()
    assert Trial.objects.count() == 1 + 3


def test_script_in_a_saved_page_title_is_kept_as_text_and_escaped_everywhere(
    import_paths, tmp_path, client, admin_client
):
    html = CLASSIC_HTML.read_text().replace(
        'margin-top:1ex;">Cabozantinib', 'margin-top:1ex;">&lt;script&gt;alert(1)&lt;/script&gt; Cabozantinib', 1
    )
    (tmp_path / "page.html").write_text(html)
    run = import_paths(tmp_path / "page.html")
    assert run.created == 1, _errors(run)
    trial = Trial.objects.get()
    assert trial.brief_title.startswith("<script>alert(1)</script>")
    for url in (f"/trials/{trial.pk}/", f"/admin/trials/trial/{trial.pk}/change/", "/?q=Cabozantinib"):
        body = client.get(url).content.decode() if url[1] != "a" else admin_client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    # The API returns the text as JSON data, never as markup.
    response = client.get(f"/api/trials/{trial.pk}/")
    assert response["Content-Type"] == "application/json"
    assert response.json()["brief_title"].startswith("<script>")


def test_truncated_gzip_is_a_clear_error(import_paths, tmp_path):
    data = gzip.compress(XML.read_bytes())
    (tmp_path / "study.xml.gz").write_bytes(data[: len(data) // 2])
    run = import_paths(tmp_path / "study.xml.gz")
    assert run.failed == 1 and "study.xml.gz" in next(iter(_errors(run)))
    assert _nothing_written()
