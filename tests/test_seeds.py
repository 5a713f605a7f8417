"""The three records the product was founded on: every fact they state comes out right, whether
imported by the command or uploaded in admin. Fixtures are byte-identical copies of ../shared/seeds."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from tests.conftest import FIXTURES, trial_of
from trials.models import ImportRun, Trial
from trials.trial_json import trial_json, trial_queryset

pytestmark = pytest.mark.django_db
FIELD_DUMP = FIXTURES / "field_dump" / "ivonescimab.txt"  # seeds/000_542a14192b75542d.txt
VEEVA = FIXTURES / "veeva_page" / "001_6d5f8ce496a4989a.txt"  # seeds/001_6d5f8ce496a4989a.txt
CLASSIC = FIXTURES / "ctgov_page" / "NCT05289856_pipe_tables.txt"  # seeds/002_420ea887e174e8f4.txt
SEEDS = (FIELD_DUMP, VEEVA, CLASSIC)


@pytest.fixture(params=["command", "admin"])
def seeds(request, admin_client):
    if request.param == "command":
        call_command("import_trials", *map(str, SEEDS))
    else:
        upload = reverse("admin:trials_importrun_upload")
        admin_client.post(upload, {"files": [SimpleUploadedFile(p.name, p.read_bytes()) for p in SEEDS]})
        preview = ImportRun.objects.get()
        admin_client.post(reverse("admin:trials_importrun_apply", args=[preview.pk]))
    assert Trial.objects.count() == 3


def _json(trial):
    return trial_json(trial_queryset().get(pk=trial.pk))


def test_field_dump_seed(seeds):
    trial = Trial.objects.get(registry_ids__scheme="LOCAL")
    data = _json(trial)
    assert data["brief_title"] == (
        "Evaluating Ivonescimab as a Potential Treatment for Pleural Mesothelioma Patients Whose Cancer Has "
        "Returned After Previous Immunotherapy and Chemotherapy"
    )
    assert [r["scheme"] for r in data["registry_ids"]] == ["LOCAL"]  # no registry id, a stable catalogue id
    assert data["phases"] == ["PHASE2"]
    assert data["overall_status"] is None
    assert [c["source_term"] for c in data["conditions"]] == ["Pleural Mesotheliomas"]
    assert [(i["type"], i["name"]) for i in data["interventions"]] == [("DRUG", "Ivonescimab")]
    assert data["enrollment"] == {"count": 38, "type": "ESTIMATED"}
    primary = [o for o in data["outcomes"] if o["kind"] == "PRIMARY"]
    secondary = [o for o in data["outcomes"] if o["kind"] == "SECONDARY"]
    assert [o["time_frame"] for o in primary] == ["12 weeks after start of treatment."]
    assert [o["measure"] for o in secondary] == [
        "Tolerance, safety of treatment",
        "Progression free survival (PFS)",
        "Overall survival",
        "Best response rate",
        "Duration of response",
    ]
    assert all(o["description"] and o["time_frame"] for o in secondary)
    assert len({o["time_frame"] for o in secondary}) == 3
    assert secondary[2]["time_frame"] == "Around 45 months."


def test_veeva_seed(seeds):
    data = _json(trial_of("NCT07083375"))
    assert {(r["scheme"], r["value"]) for r in data["registry_ids"]} == {("NCT", "NCT07083375"), ("OTHER", "NCC5301")}
    assert data["overall_status"] == "NOT_YET_RECRUITING"
    assert (data["phases"], data["study_type"]) == (["PHASE2"], "INTERVENTIONAL")
    assert [c["source_term"] for c in data["conditions"]] == ["Extensive Small Cell Lung Cancer"]
    assert {i["type"] for i in data["interventions"]} == {"DRUG"}
    drugs = sorted(d["name"].casefold() for i in data["interventions"] for d in i["drugs"])
    assert drugs == ["bevacizumab", "carboplatin", "cisplatin", "etoposide", "ql1706"]
    assert data["enrollment"] == {"count": 56, "type": "ESTIMATED"}
    el = data["eligibility"]
    assert (el["sex"], el["minimum_age"], el["min_age_years"], el["maximum_age"]) == ("ALL", "18 Years", 18.0, None)
    assert el["healthy_volunteers"] is False
    assert (len(el["inclusion"]), len(el["exclusion"])) == (9, 21)
    assert [(a["label"], a["type"]) for a in data["arms"]] == [("combined treatment group", "EXPERIMENTAL")]
    assert data["arms"][0]["description"].startswith("This study investigates a novel four-drug first-line")
    assert data["design"] == {
        "allocation": "NA",
        "intervention_model": "SINGLE_GROUP",
        "masking": "NONE",
        "primary_purpose": "TREATMENT",
    }
    assert data["sponsor"] == {"name": "Zhijie Wang", "class": "OTHER"}
    assert [c["name"] for c in data["central_contacts"]] == ["Zhijie Wang, MD"]
    assert data["sites"] == []


def test_classic_ctgov_seed(seeds):
    data = _json(trial_of("NCT05289856"))
    ids = {(r["scheme"], r["value"]) for r in data["registry_ids"]}
    assert ids == {("NCT", "NCT05289856"), ("EUDRACT", "2021-000986-34"), ("ORG_STUDY_ID", "CaboAveNEC")}
    assert data["overall_status"] == "RECRUITING" and data["phases"] == ["PHASE2"]
    assert data["official_title"].startswith("A Phase II, Open-label, Multicenter Trial to Investigate")
    assert data["enrollment"] == {"count": 30, "type": "ESTIMATED"}
    assert data["dates"]["start"] == {"date": "2022-03-28", "type": "ACTUAL"}
    assert data["dates"]["primary_completion"] == {"date": "2025-03-01", "type": "ESTIMATED"}
    assert data["dates"]["completion"] == {"date": "2025-12-01", "type": "ESTIMATED"}
    assert data["dates"]["first_posted"]["date"] == "2022-03-22"
    assert data["dates"]["last_update"]["date"] == "2022-04-01"
    assert [c["source_term"] for c in data["conditions"]] == ["Cancer"]
    assert data["keywords"] == ["neuroendocrine neoplasias (NEN)", "NET G3", "NEC G3", "avelumab", "cabozantinib"]
    (arm,) = data["arms"]
    assert (arm["label"], arm["type"]) == ("combination of Avelumab and Cabozantinib", "EXPERIMENTAL")
    assert arm["description"] == "800 mg Avelumab every 2 weeks and 40 mg Cabozantinib daily"
    assert arm["interventions"] == ["combination of Avelumab and Cabozantinib"]
    assert sorted(d["name"].casefold() for d in data["interventions"][0]["drugs"]) == ["avelumab", "cabozantinib"]
    primary = [o for o in data["outcomes"] if o["kind"] == "PRIMARY"]
    assert [(o["measure"], o["time_frame"]) for o in primary] == [
        ("Disease control rate (DCR: CR, PR, SD)", "16 weeks")
    ]
    assert len([o for o in data["outcomes"] if o["kind"] == "SECONDARY"]) == 15
    el = data["eligibility"]
    assert (el["minimum_age"], el["maximum_age"], el["sex"], el["healthy_volunteers"]) == (
        "18 Years",
        None,
        "ALL",
        False,
    )
    assert (
        el["inclusion"][0] == "Age ≥ 18 years" and el["exclusion"][-1] == "Patients, who are legally institutionalized."
    )
    sites = [(s["city"], s["country"], s["postal_code"], s["status"]) for s in data["sites"]]
    assert sites == [("Heidelberg", "DE", "69120", "NOT_YET_RECRUITING"), ("Mainz", "DE", "55131", "RECRUITING")]
    assert all(s["contacts"] and all(c["email"] and c["phone"] for c in s["contacts"]) for s in data["sites"])
    central = [(c["name"], c["phone"], c["email"]) for c in data["central_contacts"]]
    assert central == [
        ("Matthias M Weber, MD", "00496131 ext 177260", "mmweber@unimedizin-mainz.de"),
        ("Christian Fottner, MD", "00496131 ext 175352", "christian.fottner@unimedizin-mainz.de"),
    ]
    assert data["responsible_party"]["name"] == "Prof. Dr. Matthias M. Weber"
    assert data["responsible_party"]["affiliation"] == "Johannes Gutenberg University Mainz"
    (pi,) = data["officials"]
    assert (pi["name"], pi["role"]) == ("Matthias M Weber, MD", "PRINCIPAL_INVESTIGATOR")
    assert pi["affiliation"].startswith("Universitätsmedizin der Johannes Gutenberg-Universität Mainz")


def test_reimporting_the_seeds_is_unchanged(seeds, capsys):
    capsys.readouterr()
    call_command("import_trials", *map(str, SEEDS))
    assert capsys.readouterr().out.strip() == "created 0, updated 0, unchanged 3, failed 0"
    assert Trial.objects.count() == 3
    assert ImportRun.objects.filter(dry_run=False).count() >= 2
