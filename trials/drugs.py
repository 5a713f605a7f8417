"""From an intervention to the drugs it names.

This is the name-level step only: split combination wording into single drug names and
leave out what is not a drug (placebo, "standard of care"). Classifying drugs is the drug
vocabulary's job; ``names_no_drug`` tells it which of the names it cannot resolve were never a
drug's name (an activity registered as a drug, an unnamed treatment).
"""

import re

from trials.choices import DRUG_LIKE_INTERVENTION_TYPES

_COMBINATION_PREFIX = re.compile(
    r"^(?:a\s+)?(?:combination|combined|combo)(?:\s+(?:therapy|treatment|regimen))?\s+(?:of|with)\s+", re.I
)
# "A and B", "A + B", "A plus B", "A or B", "A, B", "A with B", "A/B" (between letters, not "mg/kg")
_SEPARATORS = re.compile(
    r"\s+(?:and|or|plus|with|in combination with|combined with|followed by|versus|vs\.?)\s+"
    r"|\s*[+,;&，；、]\s*|(?<=[a-z]{3})\s*/\s*(?=[a-z]{3})",
    re.I,
)
_NOT_A_DRUG = re.compile(
    r"^(?:matching\s+)?placebos?\b|^(?:standard|usual)\s+(?:of\s+)?care\b|^best supportive care\b|^saline\b|^vehicle\b",
    re.I,
)
# A label in front of the name: "Part 1: CNTO 7160", "Part 2 (Asthma): CNTO 7160", "Cohort A: ...".
_LABEL_PREFIX = re.compile(
    r"^(?:part|cohort|arm|group|stage|phase|step|period|stratum)\s*[\w.-]{0,4}\s*(?:\([^()]{0,40}\))?\s*:\s*", re.I
)
# A clause after the name that says what it is or what it is for: "IMA-638 is a biologic",
# "UTAA06 injection for treatment of advanced malignant solid tumors".
_TRAILING_CLAUSE = re.compile(
    r"\s+(?:is an?|are|used (?:for|in|to)|for (?:the )?(?:treatment|prevention|management) of)\s.*$", re.I
)
# What a registry's DRUG or BIOLOGICAL entry sometimes is instead of a drug: a sample taken, a
# test, "no intervention", or a treatment left unnamed ("standard therapy", "rescue medication",
# "other drugs for neoadjuvant treatment"). Only read for a name no vocabulary resolves, so
# "standard chemotherapy" still gets its class.
_NO_DRUG = re.compile(
    r"\b(?:blood|urine|stool|saliva|serum|plasma|nasal|skin|tissue|specimens?)\b(?:\W+\w+){0,4}\W+"
    r"(?:samples?|sampling|draws?|collect(?:ed|ion)?|swabs?|punctions?|specimens?|tests?)\b"
    r"|^(?:an? )?(?:blood|urine|stool|saliva) samples?\b|\b(?:blood|sample|specimen) collection\b|\bbiops(?:y|ies)\b"
    r"|\bswabs?\b|\b(?:pregnancy|laboratory|lab) tests?\b|\bdiagnostic (?:procedures?|tests?)\b"
    r"|\bquestionnaires?\b|\bimmune evaluation\b|^detection of\b"
    r"|^(?:there is )?no (?:intervention|treatment|drug|medication)s?\b|^(?:none|control|observation(?: only)?)$"
    r"|^current treatment or no treatment$"
    r"|^(?:the )?(?:standard|usual|conventional|current|routine|background|concomitant|rescue|other|any|existing"
    r"|soc)\b(?:\W+\w+){0,5}?\W+(?:therap(?:y|ies)|treatments?|medications?|medicines?|drugs?|pharmacotherap(?:y|ies)"
    r"|regimens?|chemotherapies)\b"
    r"|^(?:pharmacological|drug|medical|pharmaco) ?(?:therapy|treatment)$|^rescue medications?\b",
    re.I,
)
# A dose written after the name: "Pembrolizumab 200 mg", "Cabozantinib 40 mg daily PO".
_DOSE_SUFFIX = re.compile(r"\s+\d[\d.,]*\s*(?:mg|mcg|µg|g|ml|iu|units?)\b.*$", re.I)
# Words that only describe a dose or form; a part made of them alone is not a drug name.
_DOSE_ONLY = re.compile(r"^[\d.\s]*(?:mg|mcg|µg|g|ml|iu|units?|%|mg/kg|mg/m2)?$", re.I)


def is_placebo(name: str) -> bool:
    # "Simulation agent", "simulant", "dummy": what Chinese and some European records call a placebo.
    return bool(re.search(r"\bplacebos?\b|\bsham\b|\bsimulat(?:ion|ed) agents?\b|\bsimulants?\b|\bdummy\b", name, re.I))


def names_no_drug(name: str) -> bool:
    """Whether ``name`` (which no vocabulary resolved) is no drug's name at all: "Blood draw",
    "Urine sampling", "No intervention", "Standard therapy", "Rescue medications"."""
    return bool(_NO_DRUG.search(" ".join(name.split())))


def drug_names(intervention_type: str | None, name: str) -> list[str]:
    """The drug names an intervention of this type and name stands for, in order, without repeats."""
    if intervention_type not in DRUG_LIKE_INTERVENTION_TYPES:
        return []
    text = " ".join(name.split())
    text = _COMBINATION_PREFIX.sub("", _TRAILING_CLAUSE.sub("", _LABEL_PREFIX.sub("", text)))
    names: list[str] = []
    seen: set[str] = set()
    for part in _SEPARATORS.split(text):
        part = _DOSE_SUFFIX.sub("", part).strip(" .()[]-")
        if not part or _DOSE_ONLY.match(part) or _NOT_A_DRUG.match(part):
            continue
        key = part.casefold()
        if key not in seen:
            seen.add(key)
            names.append(part)
    return names
