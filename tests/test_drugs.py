import pytest

from trials.drugs import drug_names, is_placebo


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # Real intervention names from CT.gov records and the seed pages.
        ("combination of Avelumab and Cabozantinib", ["Avelumab", "Cabozantinib"]),
        (
            "QL1706 , bevacizumab, etoposide , cisplatin or carboplatin",
            ["QL1706", "bevacizumab", "etoposide", "cisplatin", "carboplatin"],
        ),
        ("Phentermine/Topiramate", ["Phentermine", "Topiramate"]),
        ("Nivolumab + Ipilimumab", ["Nivolumab", "Ipilimumab"]),
        ("Pembrolizumab 200 mg", ["Pembrolizumab"]),
        ("5-FU", ["5-FU"]),
        ("Ivonescimab", ["Ivonescimab"]),
        ("Placebo", []),
        ("Matching placebo", []),
        ("Standard of care", []),
    ],
)
def test_drug_names_split_combinations_and_leave_out_non_drugs(name, expected):
    assert drug_names("DRUG", name) == expected


def test_only_drug_like_interventions_name_drugs():
    assert drug_names("PROCEDURE", "Diskectomy") == []
    assert drug_names("BEHAVIORAL", "Cognitive therapy and exercise") == []
    assert drug_names("BIOLOGICAL", "Avelumab") == ["Avelumab"]


def test_repeated_names_appear_once():
    assert drug_names("DRUG", "cisplatin and Cisplatin") == ["cisplatin"]


def test_placebo_is_recognised():
    assert is_placebo("Placebo oral tablet")
    assert not is_placebo("Pembrolizumab")
