"""Merging a trial's sources: registry data wins, whole records replace older versions, partial
records complete each other, linked facts travel together. Snapshots come from real fixtures."""

from tests.conftest import FIXTURES
from trials.ingest.merge import SourceSnapshot, merge
from trials.ingest.parsers import ctgov_csv, ctgov_json, ctgov_xml, field_dump

SAME = FIXTURES / "same_trial"


def _snap(module, path, **changes):
    snapshot = module.parse(path.read_bytes()).snapshot()
    snapshot.update(changes)
    return snapshot


def _source(pk, module, snapshot):
    return SourceSnapshot(pk, module.FORMAT, snapshot)


def test_registry_data_outranks_an_export_and_a_dump():
    xml = _snap(ctgov_xml, SAME / "NCT00498680.xml", detailed_description="")
    csv = _snap(ctgov_csv, SAME / "NCT00498680.csv", brief_title="Retitled in a spreadsheet")
    dump = _snap(field_dump, FIXTURES / "field_dump" / "ivonescimab.txt")
    merged, sources = merge([_source(3, field_dump, dump), _source(1, ctgov_xml, xml), _source(2, ctgov_csv, csv)])
    assert merged["brief_title"] == xml["brief_title"] and sources["brief_title"] == 1
    assert merged["outcomes"] == xml["outcomes"] and sources["outcomes"] == 1
    # A fact only the dump states still comes from it.
    assert xml["detailed_description"] == csv["detailed_description"] == ""
    assert merged["detailed_description"] == dump["detailed_description"] and sources["detailed_description"] == 3


def test_a_newer_whole_record_replaces_an_older_one_even_where_it_is_silent():
    old = _snap(ctgov_json, SAME / "NCT00498680.json", why_stopped="Funding ended")
    new = _snap(ctgov_json, SAME / "NCT00498680.json", why_stopped="")
    new["last_update_date"] = {"date": "2030-01-01", "precision": "DAY", "type": "ACTUAL"}
    merged, sources = merge([_source(1, ctgov_json, old), _source(2, ctgov_json, new)])
    assert merged["why_stopped"] == "" and sources["last_update_date"] == 2


def test_partial_records_of_one_format_complete_each_other():
    full = _snap(ctgov_csv, SAME / "NCT00498680.csv")
    titles_only = {**full, "enrollment_count": None, "enrollment_type": None, "sites": []}
    counts_only = {**full, "brief_title": "", "official_title": ""}
    merged, sources = merge([_source(1, ctgov_csv, titles_only), _source(2, ctgov_csv, counts_only)])
    assert merged["brief_title"] == full["brief_title"] and sources["brief_title"] == 1
    assert merged["enrollment_count"] == full["enrollment_count"] and sources["enrollment_count"] == 2


def test_arms_travel_with_their_interventions_and_ids_are_the_union():
    xml = _snap(ctgov_xml, SAME / "NCT00498680.xml")
    csv = _snap(ctgov_csv, SAME / "NCT00498680.csv")
    merged, sources = merge([_source(1, ctgov_csv, csv), _source(2, ctgov_xml, xml)])
    assert sources["arms"] == sources["interventions"] == 2
    assert merged["interventions"] == xml["interventions"]
    ids = {(r["scheme"], r["value"]) for r in merged["registry_ids"]}
    assert ids == {(r["scheme"], r["value"]) for r in xml["registry_ids"] + csv["registry_ids"]}


def test_eligibility_is_merged_field_by_field():
    xml = _snap(ctgov_xml, SAME / "NCT00498680.xml")
    csv = _snap(ctgov_csv, SAME / "NCT00498680.csv")
    xml["eligibility"]["criteria"], xml["eligibility"]["inclusion"], xml["eligibility"]["exclusion"] = "", [], []
    csv["eligibility"]["criteria"] = "Inclusion Criteria:\n- Men with erectile dysfunction"
    csv["eligibility"]["inclusion"] = ["Men with erectile dysfunction"]
    merged, sources = merge([_source(1, ctgov_csv, csv), _source(2, ctgov_xml, xml)])
    assert merged["eligibility"]["sex"] == "MALE" and sources["eligibility.sex"] == 2
    assert merged["eligibility"]["inclusion"] == ["Men with erectile dysfunction"]
    assert sources["eligibility.criteria"] == sources["eligibility.inclusion"] == 1


def test_no_sources_is_an_empty_record():
    assert merge([]) == ({}, {})
