"""Vocabularies stored between processes: read back as built, built again when a file changes."""

import os

from trials.vocab import stored as stored_module
from trials.vocab.conditions import ABBREVIATIONS, CONDITIONS, ConditionVocabulary
from trials.vocab.stored import stored


def test_a_vocabulary_is_built_once_then_read_back(settings, tmp_path):
    settings.VOCAB_CACHE_DIR = str(tmp_path)
    built = []

    def build():
        built.append(1)
        return ConditionVocabulary()

    first = stored("conditions", [CONDITIONS, ABBREVIATIONS], build)
    again = stored("conditions", [CONDITIONS, ABBREVIATIONS], build)
    assert len(built) == 1
    assert [p.name.split("-")[0] for p in tmp_path.iterdir()] == ["conditions"]
    for term in ("Non-small Cell Lung Cancer", "NSCLC", "Type 2 Diabetes", "Stage IV Breast Cancer"):
        assert again.resolve(term) == first.resolve(term)
    assert again.ancestors("D002289") == first.ancestors("D002289")


def test_a_changed_file_builds_it_again(settings, tmp_path):
    settings.VOCAB_CACHE_DIR = str(tmp_path / "store")
    source = tmp_path / "words.tsv"
    source.write_text("one\n")
    assert stored("words", [source], lambda: source.read_text()) == "one\n"
    source.write_text("two, longer\n")
    assert stored("words", [source], lambda: source.read_text()) == "two, longer\n"
    assert len(list((tmp_path / "store").iterdir())) == 2


def test_a_damaged_or_unwritable_store_only_costs_a_build(settings, tmp_path):
    settings.VOCAB_CACHE_DIR = str(tmp_path)
    source = tmp_path / "words.tsv"
    source.write_text("one\n")
    path = tmp_path / f"words-{stored_module._fingerprint([source])}.pickle"
    path.write_bytes(b"not a pickle")
    assert stored("words", [source], lambda: "built") == "built"
    # A folder nobody may write (a read-only deploy): built in each process, nothing raised.
    settings.VOCAB_CACHE_DIR = "/proc/no-such-folder"
    assert stored("words", [source], lambda: "built again") == "built again"
    assert os.path.exists(path)
