"""field_dump: an unlabeled dump of one CT.gov record.

``ivonescimab.txt`` is ../shared/seeds/000_*.txt, byte for byte.
"""

import pytest

from tests.conftest import FIXTURES
from trials.ingest.parsers import field_dump
from trials.ingest.records import Intervention, ParseError, RawSource

SEED = (FIXTURES / "field_dump" / "ivonescimab.txt").read_bytes()
SUMMARY_START = "Multicentre, open-label, single arm phase II study for patients with PM previously treated"


def test_seed():
    (source,) = field_dump.split(RawSource("seed.txt", SEED))
    record = field_dump.parse(source.data)
    assert record.brief_title == (
        "Evaluating Ivonescimab as a Potential Treatment for Pleural Mesothelioma Patients Whose Cancer Has Returned "
        "After Previous Immunotherapy and Chemotherapy"
    )
    assert record.registry_ids == [] and record.overall_status is None
    assert record.phases == ["PHASE2"]
    assert record.conditions == ["Pleural Mesotheliomas"]
    assert record.interventions == [Intervention("DRUG", "Ivonescimab")]
    assert (record.enrollment_count, record.enrollment_type) == (38, "ESTIMATED")
    primary = [o for o in record.outcomes if o.kind == "PRIMARY"]
    assert len(primary) == 1 and primary[0].time_frame == "12 weeks after start of treatment."
    assert primary[0].description.endswith("as assessed by the independent review committtee.")
    secondary = [o for o in record.outcomes if o.kind == "SECONDARY"]
    assert [o.measure for o in secondary] == [
        "Tolerance, safety of treatment",
        "Progression free survival (PFS)",
        "Overall survival",
        "Best response rate",
        "Duration of response",
    ]
    assert [o.time_frame for o in secondary] == [
        "From time of informed consent through treatment period and up to 90 days post last dose of study "
        "treatment (maximum of 2 years and 3 months).",
        "At progression, up to 2 years after start of treatment.",
        "Around 45 months.",
        "At progression, up to 2 years after start of treatment.",
        "At progression, up to 2 years after start of treatment.",
    ]
    assert secondary[0].description.startswith("Incidence, nature and severity of AEs, graded according to")
    assert secondary[2].description.endswith("OS will be censored at the date of last contact.")
    assert secondary[4].description.startswith("DOR is defined as the time from the date of the first response")
    for text in (record.brief_summary, record.detailed_description):
        assert text.startswith(SUMMARY_START)
        assert text.endswith("The alternative hypothesis is DCR ≥ 55% at 12 weeks.")
        assert text.count("\n\n") == 2
    assert "Pleural Mesotheliomas" not in record.brief_summary


def test_truncated_mid_outcome_yields_what_it_holds():
    cut = SEED[: SEED.index(b"Overall survival is defined") + 40]
    record = field_dump.parse(cut)
    assert record.conditions == ["Pleural Mesotheliomas"] and len(record.interventions) == 1
    assert [(o.kind, o.measure, o.time_frame) for o in record.outcomes][1:] == [
        ("SECONDARY", "Tolerance, safety of treatment", record.outcomes[1].time_frame),
        ("SECONDARY", "Progression free survival (PFS)", "At progression, up to 2 years after start of treatment."),
        ("SECONDARY", "Overall survival", ""),  # its description and time frame were cut off
    ]
    assert record.outcomes[-1].description == ""
    assert record.detailed_description == ""
    assert (record.enrollment_count, record.phases) == (38, ["PHASE2"])


def test_several_interventions_and_no_conditions_line():
    lines = SEED.decode().split("\n")
    lines[7] = "DRUG: Ivonescimab|BIOLOGICAL: Placebo serum"
    del lines[6]  # no conditions line: the summary runs up to the interventions line
    record = field_dump.parse("\n".join(lines).encode())
    assert record.interventions == [Intervention("DRUG", "Ivonescimab"), Intervention("BIOLOGICAL", "Placebo serum")]
    assert record.conditions == []
    assert record.brief_summary.endswith("at 12 weeks.")


def test_sniff_is_conservative():
    assert field_dump.sniff(SEED)
    assert not field_dump.sniff(b"Some notes\nDrug: aspirin was given, twice daily.\nThe end.")
    assert not field_dump.sniff(b'{"protocolSection": {}}')
    assert not field_dump.sniff(b"- Steroids as premedication (e.g., CT scan premedication)|x, y\n")


def test_plain_text_is_not_a_dump():
    with pytest.raises(ParseError, match="not a field dump"):
        field_dump.parse(b"A title\nA summary of nothing in particular.\n")
    with pytest.raises(ParseError, match="empty"):
        field_dump.parse(b"\n\n")
