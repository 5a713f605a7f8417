"""The whole real API v2 set (2,610 studies): imports cleanly, re-imports as unchanged, and every
trial's JSON agrees with its source JSON field by field. Runs where ../shared/data is present
(the team's machines and CI), skipped elsewhere."""

import gzip
import json
import time

import pytest

from tests.conftest import SHARED_DATA
from trials.models import ImportRun, Trial
from trials.trial_json import trial_json, trial_queryset

SOURCE = SHARED_DATA / "ctgov" / "ctgov_api_v2_studies.jsonl.gz"

pytestmark = [
    pytest.mark.skipif(not SOURCE.exists(), reason="shared CT.gov data not on this machine"),
    pytest.mark.django_db(transaction=False),
]


def _get(obj, *path, default=None):
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return default
        obj = obj[key]
    return obj


def _date(struct):
    return {"date": struct["date"], "type": struct.get("type")} if struct else None


def assert_agrees(trial: dict, study: dict) -> None:
    p = study["protocolSection"]
    ident, status, design = p["identificationModule"], p["statusModule"], p.get("designModule", {})
    nct = ident["nctId"]
    assert {"scheme": "NCT", "value": nct} in trial["registry_ids"], nct
    assert trial["brief_title"] == ident["briefTitle"].strip(), nct
    assert (trial["official_title"] or "") == (ident.get("officialTitle") or "").strip(), nct
    assert trial["overall_status"] == status["overallStatus"], nct
    assert sorted(trial["phases"]) == sorted(design.get("phases", [])), nct
    assert trial["study_type"] == design.get("studyType"), nct
    assert trial["enrollment"]["count"] == _get(design, "enrollmentInfo", "count"), nct
    assert trial["has_results"] == study.get("hasResults"), nct

    for ours, theirs in (
        ("start", "startDateStruct"),
        ("primary_completion", "primaryCompletionDateStruct"),
        ("completion", "completionDateStruct"),
        ("first_posted", "studyFirstPostDateStruct"),
        ("last_update", "lastUpdatePostDateStruct"),
    ):
        assert trial["dates"][ours] == _date(status.get(theirs)), (nct, ours)

    sources = [c.strip() for c in _get(p, "conditionsModule", "conditions", default=[])]
    assert [c["source_term"].strip() for c in trial["conditions"]] == sources, nct

    arms = _get(p, "armsInterventionsModule", "armGroups", default=[])
    assert [a["label"] for a in trial["arms"]] == [a["label"].strip() for a in arms], nct
    assert [a["type"] for a in trial["arms"]] == [a.get("type") for a in arms], nct
    interventions = _get(p, "armsInterventionsModule", "interventions", default=[])
    assert [(i["type"], i["name"]) for i in trial["interventions"]] == [
        (i.get("type"), i.get("name", "").strip()) for i in interventions
    ], nct
    assert [i["other_names"] for i in trial["interventions"]] == [
        [n.strip() for n in i.get("otherNames", [])] for i in interventions
    ], nct
    # CT.gov records a link on either side: the arm's "Type: name" or the intervention's arm labels.
    names = {i.get("name", "").strip().casefold() for i in interventions}
    for ours, theirs in zip(trial["arms"], arms, strict=True):
        expected = {n.split(":", 1)[-1].strip().casefold() for n in theirs.get("interventionNames", [])} & names
        expected |= {
            i.get("name", "").strip().casefold()
            for i in interventions
            if theirs["label"].strip().casefold() in {lbl.strip().casefold() for lbl in i.get("armGroupLabels", [])}
        }
        assert {n.casefold() for n in ours["interventions"]} == expected, (nct, ours["label"])

    outcomes = _get(p, "outcomesModule", default={})
    expected = [
        (kind, o["measure"].strip(), (o.get("timeFrame") or "").strip() or None)
        for kind, key in (
            ("PRIMARY", "primaryOutcomes"),
            ("SECONDARY", "secondaryOutcomes"),
            ("OTHER", "otherOutcomes"),
        )
        for o in outcomes.get(key, [])
    ]
    assert [(o["kind"], o["measure"], o["time_frame"]) for o in trial["outcomes"]] == expected, nct

    el, ours = p.get("eligibilityModule", {}), trial["eligibility"]
    assert ours["sex"] == el.get("sex"), nct
    assert ours["minimum_age"] == el.get("minimumAge"), nct
    assert ours["maximum_age"] == el.get("maximumAge"), nct
    assert ours["healthy_volunteers"] == el.get("healthyVolunteers"), nct
    assert ours["std_ages"] == el.get("stdAges", []), nct

    locations = _get(p, "contactsLocationsModule", "locations", default=[])
    assert len(trial["sites"]) == len(locations), nct
    assert [s["country_name"] for s in trial["sites"]] == [loc.get("country") for loc in locations], nct
    assert all(s["country"] for s in trial["sites"] if s["country_name"]), nct
    # Coordinates the source gives are kept as given; a site without them gets its city's.
    for site, loc in zip(trial["sites"], locations, strict=True):
        if _get(loc, "geoPoint", "lat") is not None:
            assert (site["latitude"], site["longitude"]) == (loc["geoPoint"]["lat"], loc["geoPoint"]["lon"]), nct


def test_full_api_v2_set_imports_reimports_unchanged_and_agrees_with_source(import_paths, capsys):
    started = time.perf_counter()
    first = import_paths(SOURCE)
    elapsed = time.perf_counter() - started
    failures = [r.error for r in first.reports if r.outcome == "failed"]
    assert failures == []
    assert (first.created, first.updated, first.unchanged, first.failed) == (2610, 0, 0, 0)
    assert first.status == ImportRun.Status.COMPLETED

    second = import_paths(SOURCE)
    assert (second.created, second.updated, second.unchanged, second.failed) == (0, 0, 2610, 0)
    assert Trial.objects.count() == 2610

    studies = {}
    with gzip.open(SOURCE, "rt", encoding="utf-8") as lines:
        for line in lines:
            study = json.loads(line)
            studies[study["protocolSection"]["identificationModule"]["nctId"]] = study
    checked = 0
    for trial in trial_queryset().order_by("id").iterator(chunk_size=500):
        data = trial_json(trial)
        nct = next(r["value"] for r in data["registry_ids"] if r["scheme"] == "NCT")
        assert_agrees(data, studies[nct])
        checked += 1
    assert checked == 2610
    with capsys.disabled():
        print(f"\nimported 2,610 API v2 studies in {elapsed:.1f} s ({2610 / elapsed:.0f} studies/s)")
