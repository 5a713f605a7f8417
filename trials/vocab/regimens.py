"""Regimens written as acronyms (chemotherapy, and a few compounded mixtures such as Trimix), and
the drugs they stand for.

Only acronyms that mean one regimen in the literature; "TC" (paclitaxel-carboplatin or
docetaxel-cyclophosphamide) and "EC" are left out on purpose.
"""

from __future__ import annotations

import re

from trials.vocab.keys import name_key

_CHOP = ("cyclophosphamide", "doxorubicin", "vincristine", "prednisone")
_FOLFIRINOX = ("leucovorin", "fluorouracil", "irinotecan", "oxaliplatin")

REGIMENS: dict[str, tuple[str, ...]] = {
    "folfox": ("leucovorin", "fluorouracil", "oxaliplatin"),
    "trimix": ("papaverine", "phentolamine", "alprostadil"),  # intracavernosal injection
    "folfiri": ("leucovorin", "fluorouracil", "irinotecan"),
    "folfirinox": _FOLFIRINOX,
    "folfoxiri": _FOLFIRINOX,
    "nalirifox": ("liposomal irinotecan", "fluorouracil", "leucovorin", "oxaliplatin"),
    "xelox": ("capecitabine", "oxaliplatin"),
    "capox": ("capecitabine", "oxaliplatin"),
    "capeox": ("capecitabine", "oxaliplatin"),
    "xeliri": ("capecitabine", "irinotecan"),
    "capiri": ("capecitabine", "irinotecan"),
    "sox": ("S-1", "oxaliplatin"),
    "gemox": ("gemcitabine", "oxaliplatin"),
    "gp": ("gemcitabine", "cisplatin"),
    "flot": ("fluorouracil", "leucovorin", "oxaliplatin", "docetaxel"),
    "tpf": ("docetaxel", "cisplatin", "fluorouracil"),
    "dcf": ("docetaxel", "cisplatin", "fluorouracil"),
    "ecf": ("epirubicin", "cisplatin", "fluorouracil"),
    "eox": ("epirubicin", "oxaliplatin", "capecitabine"),
    "ac": ("doxorubicin", "cyclophosphamide"),
    "cmf": ("cyclophosphamide", "methotrexate", "fluorouracil"),
    "tac": ("docetaxel", "doxorubicin", "cyclophosphamide"),
    "tchp": ("docetaxel", "carboplatin", "trastuzumab", "pertuzumab"),
    "chop": _CHOP,
    "r chop": ("rituximab", *_CHOP),
    "cvp": ("cyclophosphamide", "vincristine", "prednisone"),
    "r cvp": ("rituximab", "cyclophosphamide", "vincristine", "prednisone"),
    "abvd": ("doxorubicin", "bleomycin", "vinblastine", "dacarbazine"),
    "bep": ("bleomycin", "etoposide", "cisplatin"),
    "mvac": ("methotrexate", "vinblastine", "doxorubicin", "cisplatin"),
    "hyper cvad": ("cyclophosphamide", "vincristine", "doxorubicin", "dexamethasone"),
    "mini hyper cvd": ("cyclophosphamide", "vincristine", "dexamethasone", "methotrexate", "cytarabine"),
    "hag": ("homoharringtonine", "cytarabine", "filgrastim"),
    "flag": ("fludarabine", "cytarabine", "filgrastim"),
    "flag ida": ("fludarabine", "cytarabine", "filgrastim", "idarubicin"),
    "vrd": ("bortezomib", "lenalidomide", "dexamethasone"),
    "rvd": ("bortezomib", "lenalidomide", "dexamethasone"),
    "krd": ("carfilzomib", "lenalidomide", "dexamethasone"),
    "vcd": ("bortezomib", "cyclophosphamide", "dexamethasone"),
    "cybord": ("cyclophosphamide", "bortezomib", "dexamethasone"),
}
# Words around an acronym that do not change the regimen: "mFOLFOX6 regimen", "modified FOLFIRINOX",
# "dose-dense MVAC", "R-CHOP-21", "azacytidine, HAG regimen".
_GLUED_NUMBER = re.compile(r"(?<=[a-z]{3})\d\b")  # "mFOLFOX6", "FOLFOX4"; not "GP40081"
_NOISE = re.compile(r"\b(?:regimens?|chemotherapy|chemo|modified|dose dense|dd|protocol|based|therapy|\d+)\b")


def regimen_drugs(name: str) -> tuple[str, ...]:
    """The drugs of the regimen ``name`` is an acronym of, or () when it is none."""
    key = " ".join(_NOISE.sub(" ", _GLUED_NUMBER.sub("", name_key(name))).split())
    if key in REGIMENS:
        return REGIMENS[key]
    # "mFOLFOX6", "mFOLFIRINOX", "ddMVAC": a leading modifier glued to the acronym.
    for prefix in ("m", "dd"):
        if key.startswith(prefix) and key[len(prefix) :] in REGIMENS and len(key) > 4:
            return REGIMENS[key[len(prefix) :]]
    return ()
