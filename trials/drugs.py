"""From an intervention to the drugs it names.

This is the name-level step only: split combination wording into single drug names and
leave out what is not a drug (placebo, "standard of care"). Classifying drugs is the drug
vocabulary's job.
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
# A dose written after the name: "Pembrolizumab 200 mg", "Cabozantinib 40 mg daily PO".
_DOSE_SUFFIX = re.compile(r"\s+\d[\d.,]*\s*(?:mg|mcg|µg|g|ml|iu|units?)\b.*$", re.I)
# Words that only describe a dose or form; a part made of them alone is not a drug name.
_DOSE_ONLY = re.compile(r"^[\d.\s]*(?:mg|mcg|µg|g|ml|iu|units?|%|mg/kg|mg/m2)?$", re.I)


def is_placebo(name: str) -> bool:
    return bool(re.search(r"\bplacebos?\b|\bsham\b", name, re.I))


def drug_names(intervention_type: str | None, name: str) -> list[str]:
    """The drug names an intervention of this type and name stands for, in order, without repeats."""
    if intervention_type not in DRUG_LIKE_INTERVENTION_TYPES:
        return []
    text = " ".join(name.split())
    text = _COMBINATION_PREFIX.sub("", text)
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
