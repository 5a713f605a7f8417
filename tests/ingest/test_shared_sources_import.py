"""Real records of every registry shape, imported together: the legacy XML tarball, the 22 CSV
exports and API v2 JSON. Zero failures, each study in two sets ends as one trial, and importing
everything again is unchanged.

CI imports a deterministic sample (every SAMPLE-th study, plus every study found in more than one
set) to stay within its time budget; ``FULL_SHARED_IMPORT=1`` imports all of it (see
benchmarks/README.md for the figures of a full run). Skipped where ../shared/data is absent.
"""

import csv
import gzip
import io
import json
import os
import tarfile

import pytest

from tests.conftest import SHARED_DATA
from trials.models import RegistryId, SourceRecord, Trial

CTGOV = SHARED_DATA / "ctgov"
XML_TAR = CTGOV / "ctgov_legacy_xml.tar.gz"
CSV_TAR = CTGOV / "ctgov_csv_exports.tar.gz"
JSON_LINES = CTGOV / "ctgov_api_v2_studies.jsonl.gz"
FULL = os.environ.get("FULL_SHARED_IMPORT") == "1"
SAMPLE = 1 if FULL else 12

pytestmark = [
    pytest.mark.skipif(not XML_TAR.exists(), reason="shared CT.gov data not on this machine"),
    pytest.mark.django_db,
]
csv.field_size_limit(2**30)


@pytest.fixture(scope="module")
def shared_sample(tmp_path_factory):
    """Files holding the sample, written as the sources are (XML files, CSV exports with their
    own headers, JSON lines), and the NCT ids found in more than one of them."""
    folder = tmp_path_factory.mktemp("shared")
    xml = _xml_members()
    exports = _csv_exports()
    csv_ids = {nct for _, _, rows in exports for nct, _ in rows}
    json_lines = _json_lines(set(xml) | csv_ids)
    overlap = (set(xml) & csv_ids) | (set(xml) & set(json_lines)) | (set(json_lines) & csv_ids)

    def keep(nct, index):
        return index % SAMPLE == 0 or nct in overlap

    with tarfile.open(XML_TAR) as archive:
        for index, (nct, member) in enumerate(sorted(xml.items())):
            if keep(nct, index):
                (folder / f"{nct}.xml").write_bytes(archive.extractfile(member).read())
    for name, header, rows in exports:
        out = io.StringIO()
        writer = csv.writer(out, delimiter="\t" if name.endswith(".tsv") else ",")
        writer.writerow(header)
        writer.writerows(row for index, (nct, row) in enumerate(rows) if keep(nct, index))
        (folder / name).write_text(out.getvalue(), encoding="utf-8")
    with gzip.open(folder / "studies.jsonl.gz", "wt") as out:
        for nct, line in json_lines.items():
            if nct in overlap:
                out.write(line)
    return folder, overlap


def _xml_members():
    with tarfile.open(XML_TAR) as archive:
        return {m.name.rsplit("/", 1)[-1][:-4]: m.name for m in archive if m.isfile() and m.name.endswith(".xml")}


def _csv_exports():
    exports = []
    with tarfile.open(CSV_TAR) as archive:
        for member in sorted((m for m in archive if m.isfile()), key=lambda m: m.name):
            text = archive.extractfile(member).read().decode("utf-8-sig")
            delimiter = "\t" if member.name.endswith(".tsv") else ","
            header, *rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
            column = header.index("NCT Number")
            rows = [(row[column], row) for row in rows if row]
            exports.append((member.name.rsplit("/", 1)[-1], header, rows))
    return exports


def _json_lines(wanted):
    lines = {}
    with gzip.open(JSON_LINES, "rt") as source:
        for line in source:
            nct = json.loads(line)["protocolSection"]["identificationModule"]["nctId"]
            if nct in wanted:
                lines[nct] = line
    return lines


def test_every_shape_imports_without_failure_and_shared_studies_are_one_trial(shared_sample, import_paths):
    folder, overlap = shared_sample
    run = import_paths(folder)
    failures = [r.error for r in run.reports if r.outcome == "failed"]
    assert failures == []
    assert run.created > 1000 and run.failed == 0

    # One trial per NCT id, however many sets held it.
    ncts = RegistryId.objects.filter(scheme="NCT")
    assert ncts.count() == ncts.values("value").distinct().count()
    assert Trial.objects.count() == Trial.objects.filter(registry_ids__scheme="NCT").distinct().count()
    shared = Trial.objects.filter(registry_ids__scheme="NCT", registry_ids__value__in=overlap).distinct()
    assert shared.count() == len(overlap)
    multi_source = [t for t in shared.prefetch_related("sources") if len({s.format for s in t.sources.all()}) > 1]
    assert len(multi_source) == len(overlap)

    # Registry data outranks the CSV export wherever both state a fact.
    for trial in multi_source[:50]:
        formats = {s.pk: s.format for s in trial.sources.all()}
        if {"ctgov_legacy_xml", "ctgov_api_v2_json"} & set(formats.values()):
            assert formats[trial.field_sources["brief_title"]] != "ctgov_csv", trial.pk

    again = import_paths(folder)
    assert (again.created, again.updated, again.failed) == (0, 0, 0)
    assert again.unchanged == run.created + run.updated + run.unchanged
    assert SourceRecord.objects.count() == again.unchanged
