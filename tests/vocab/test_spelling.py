from trials.vocab.spelling import SpellingIndex, one_slip


def test_one_slip_is_one_letter_left_out_added_changed_or_swapped():
    assert one_slip("azactidine", "azacitidine")  # left out
    assert one_slip("pregabaline", "pregabalin")  # added
    assert one_slip("papavarine", "papaverine")  # changed
    assert one_slip("erythromycni", "erythromycin")  # two neighbours swapped
    assert not one_slip("targeting", "targretin")  # a letter moved: two edits
    assert not one_slip("abc", "abc")
    assert not one_slip("cisplatin", "carboplatin")


def test_the_index_answers_only_one_row_and_only_long_words():
    index = SpellingIndex([("azacitidine", 1), ("decitabine", 2), ("cefazoline", 3), ("cefazolina", 4), ("short", 5)])
    assert index.row_of("azactidine") == 1
    assert index.row_of("decitabin") == 2
    assert index.row_of("cefazolinx") is None  # one slip from two different rows: no guess
    assert index.row_of("shrt") is None
    assert index.row_of("azacitidine2") is None  # not a word
