import pytest

from trials.vocab.pinyin import is_pinyin_medicine


@pytest.mark.parametrize(
    "key",
    [
        "shu gan yi yang capsule",
        "qizhi tongluo capsules",
        "yupingfeng powder granules",
        "buyuan zhixiao formula",
        "kanglaite injection",
        "lianhua qingwen capsules",
    ],
)
def test_pinyin_names_with_a_dosage_form(key):
    assert is_pinyin_medicine(key)


@pytest.mark.parametrize(
    "key",
    [
        "banana powder",
        "green tea",
        "fish oil capsules",
        "lactose tablets",
        "danshen tablets",
        "metformin tablets",
        "shu gan yi yang",
        "capsules",
    ],
)
def test_english_words_short_names_and_names_without_a_form_are_not(key):
    assert not is_pinyin_medicine(key)
