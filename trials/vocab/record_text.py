"""What a record's own wording says about a drug no vocabulary lists.

Sponsors register investigational drugs under development codes ("HB0030", "PF-04965842",
"LM-108"): no open vocabulary lists them, yet each names one product, so a code is a drug of its
own. The record often says what it is, in the intervention's other names ("Recombinant Humanized
Anti-TIGIT Monoclonal Antibody"), its description ("TJ101 is a EGFR/B7H3 directed antibody
conjugate") or an arm's ("BNT316 (CTLA4 antibody)"). Those words give a class through the curated
class tree's own wording (PD-1, TIGIT, EGFR, ... inhibitor; antibody-drug conjugate; CAR-T);
a guess a curator should confirm, so the resolver marks it provisional.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from trials.vocab.inn_stems import mentioned_classes
from trials.vocab.keys import name_key

# A code: 1-6 letters, then letters, digits and at most two hyphens, with three digits or more,
# or two after three letters or a hyphen and a letter ("HB0030", "PF-04965842", "GV20-0251", "SHR-A1811", "UK-369,003",
# "BC008-1A", "TPN171H", "HLX53", "CELZ-201-DDT").
_CODE = re.compile(r"(?<![\w-])([A-Za-z]{1,6}(?:-?[A-Za-z]*\d[\dA-Za-z]*){1,3}(?:,\d{3}|-[A-Za-z]{1,4})?)(?![\w-])")
_THREE_LETTERS_TWO_DIGITS = re.compile(
    r"^[A-Za-z]{3,}\d{2}[A-Za-z]?$|^[A-Za-z]{2,}-[A-Za-z]+\d{2,}$|^[A-Za-z]{3,}-\d{2}[A-Za-z]?$"
)  # "HLX53", "CT-P39", "LIB-01"
# An isotope ("I-131", "Lu-177"), a registry id ("NCT04965842"), a dose level, a mutation ("T790M")
# or a gene, antigen or virus ("HPV16", "IgG4", "CD123") is no drug's code.
_NOT_CODES = re.compile(
    r"^(?:(?:i|lu|ga|tc|y|ra|sm|sr|ac|pb|cu|zr|in|f|c|n|o|at|bi|ho|re|th|xe|tl|rb|cs|co|cr|fe|p|s|k|na|ca|au|ir|pd)"
    r"-?\d{1,3}m?|nct\d+|covid-?\d+|sars.*|iso-?\d+|(?:dose|day|week|cycle|part|level|arm"
    r"|group|cohort|phase|visit|stage|grade|type|dl)-?\d+|v\d+|q\d+w|hpv\d+|ig[gmae]\d?|cd\d+[a-z]?|il\d+[a-z]?"
    r"|h\d+n\d+|hla.*|car\d+|mir\d+.*|ch\d+|exon\d+|[a-z]\d{2,4}[a-z])$",
    re.I,
)
_MIN_CODE_DIGITS = 3

# Class wording of the curated tree: "<target> inhibitor", written many ways by sponsors.
_TARGETS: tuple[tuple[str, str], ...] = (
    ("pd l1", "pdl1_inhibitor"),
    ("pd 1", "pd1_inhibitor"),
    ("pd1", "pd1_inhibitor"),
    ("ctla 4", "ctla4_inhibitor"),
    ("ctla4", "ctla4_inhibitor"),
    ("lag 3", "lag3_inhibitor"),
    ("lag3", "lag3_inhibitor"),
    ("tigit", "tigit_inhibitor"),
    ("tim 3", "tim3_inhibitor"),
    ("vegf", "vegf_inhibitor"),
    ("vegfr", "vegfr_tki"),
    ("egfr", "egfr_inhibitor"),
    ("alk", "alk_inhibitor"),
    ("ros1", "ros1_inhibitor"),
    ("her2", "her2_inhibitor"),
    ("kras g12c", "kras_g12c_inhibitor"),
    ("braf", "braf_inhibitor"),
    ("mek", "mek_inhibitor"),
    ("btk", "btk_inhibitor"),
    ("cdk4 6", "cdk46_inhibitor"),
    ("mtor", "mtor_inhibitor"),
    ("pi3k", "pi3k_inhibitor"),
    ("akt", "akt_inhibitor"),
    ("jak", "jak_inhibitor"),
    ("flt3", "flt3_inhibitor"),
    ("fgfr", "fgfr_inhibitor"),
    ("bcl 2", "bcl2_inhibitor"),
    ("parp", "parp_inhibitor"),
    ("hdac", "hdac_inhibitor"),
    ("idh1", "idh_inhibitor"),
    ("idh2", "idh_inhibitor"),
    ("menin", "menin_inhibitor"),
    ("proteasome", "proteasome_inhibitor"),
    ("cd20", "cd20_antibody"),
    ("cd38", "cd38_antibody"),
    ("b7 h3", "b7h3_targeted"),
    ("b7h3", "b7h3_targeted"),
    ("cd276", "b7h3_targeted"),
)
# "EGFR inhibitor", "EGFR tyrosine kinase inhibitor", "anti-TIGIT", "targeting B7-H3",
# "CTLA4 antibody", "B7H3 directed", "inhibitor of PARP".
_TARGET_WORDING = (
    r"\b{t} (?:\w+ ){{0,2}}(?:inhibitors?|antagonists?|blockers?|tkis?)\b|\banti {t}\b|\btarget(?:s|ing|ed to) "
    r"(?:the )?(?:\w+ )?{t}\b|\b{t} (?:targeted|targeting|directed|specific|blocking)\b|\b{t} (?:monoclonal )?"
    r"antibod(?:y|ies)\b|\binhibit(?:or|s|ing)? of (?:the )?{t}\b"
)
_TARGET_PATTERNS = tuple((re.compile(_TARGET_WORDING.format(t=target)), key) for target, key in _TARGETS)
# What the product is, when the wording says no target the tree knows (or a cell or virus product,
# whatever it targets).
_MODALITIES: tuple[tuple[re.Pattern, str, bool], ...] = tuple(
    (re.compile(pattern), key, final)
    for pattern, key, final in (
        (r"\bcar ?nk\b", "car_nk", True),
        (r"\bcar ?t\b|\bcart\d*\b|\bchimeric antigen receptor\b|\bucar t\b", "car_t", True),
        (r"\btcr ?t\b|\bt cell receptor (?:engineered|modified|t)\b", "tcr_t", True),
        (r"\bnk cells?\b|\bnatural killer\b|\bt cells? (?:product|therapy)\b", "cell_therapy", True),
        (r"\boncolytic\b", "oncolytic_virus", True),
        (r"\b(?:cancer|tumou?r|neoantigen|dendritic cell)\b.*\bvaccines?\b", "cancer_vaccine", True),
        (r"\bantibody drug conjugate\b|\bantibody conjugate\b|\badcs?\b", "antibody_drug_conjugate", False),
        (r"\bbispecific\b|\bbifunctional\b|\bbi specific\b", "bispecific_antibody", False),
        (r"\btyrosine kinase inhibitors?\b|\btkis?\b|\bkinase inhibitors?\b", "kinase_inhibitor", False),
    )
)
_ANTIBODY = re.compile(r"\bmonoclonal antibod(?:y|ies)\b|\bmabs?\b|\bigg\d?\b")
# "Drugs other than immune checkpoint inhibitors", "not a PD-1 inhibitor": a sentence that
# negates is not read.
_NEGATION = re.compile(r"\b(?:other than|not|except|without|unlike|instead of|non)\b")
_SENTENCE_END = re.compile(r"(?<=[.;])\s+|\n")


def development_code(text: str) -> str:
    """The development code ``text`` is written as (after doses and forms are taken off), or ""."""
    found = [m.group(1) for m in _CODE.finditer(text)]
    codes = [c for c in found if is_development_code(c)]
    return codes[0] if codes and len(codes) == len(found) else ""


def is_development_code(word: str) -> bool:
    digits = sum(ch.isdigit() for ch in word)
    long_enough = digits >= _MIN_CODE_DIGITS or bool(_THREE_LETTERS_TWO_DIGITS.match(word))
    return long_enough and not _NOT_CODES.match(word)


def wording_classes(text: str) -> tuple[str, ...]:
    """Classes a phrase that says what a drug is gives it: "anti-TIGIT monoclonal antibody" ->
    TIGIT inhibitor; "EGFR/B7H3 directed antibody conjugate" -> ADC, EGFR inhibitor, B7-H3."""
    key = name_key(text)
    if not key or _NEGATION.search(key):
        return ()
    modalities = []
    for pattern, class_key, final in _MODALITIES:
        if pattern.search(key):
            if final:
                return (class_key,)
            modalities.append(class_key)
    targets = [class_key for pattern, class_key in _TARGET_PATTERNS if pattern.search(key)]
    classes = list(dict.fromkeys([*modalities, *targets]))
    if "kinase_inhibitor" in classes and len(classes) > 1:  # "EGFR tyrosine kinase inhibitor": EGFR says more
        classes.remove("kinase_inhibitor")
    if not classes and _ANTIBODY.search(key):
        classes.append("monoclonal_antibody")
    return tuple(classes) or mentioned_classes(text)


def described_classes(
    name: str,
    other_names: Iterable[str] = (),
    descriptions: Iterable[str] = (),
    arm_descriptions: Iterable[str] = (),
    names_other_drug: Callable[[str], bool] = lambda sentence: False,
) -> tuple[str, ...]:
    """Classes the record's wording gives a drug named ``name``: its other names first, then its
    description's sentences that can only be about it, then what an arm says right after its name
    ("BNT316 (CTLA4 antibody)", "HLX53, an anti-TIGIT Fc fusion protein")."""
    for other in other_names:
        classes = wording_classes(other)
        if classes:
            return classes
    key = name_key(name)
    for text in descriptions:
        sentences = [s for s in _SENTENCE_END.split(text) if s.strip()][:4]
        for index, sentence in enumerate(sentences):
            names_it = f" {key} " in f" {name_key(sentence)} "
            if (names_it or index == 0) and not _names_another_code(key, sentence) and not names_other_drug(sentence):
                classes = wording_classes(sentence)
                if classes:
                    return classes
    said = re.compile(re.escape(name).replace(r"\-", "[- ]?").replace(r"\ ", r"[\s-]?") + _APPOSITIVE, re.I)
    for text in arm_descriptions:
        for match in said.finditer(text):
            phrase = next(filter(None, match.groups()))
            if not _names_another_code(key, phrase) and not names_other_drug(phrase):
                classes = wording_classes(phrase)
                if classes:
                    return classes
    return ()


# What follows a drug's name to say what it is: "X (a PD-1 inhibitor)", "X, an ADC", "X is a ...", "X: ...".
_APPOSITIVE = (
    r"(?![\w-])\s*(?:\(([^()]{3,80})\)|,\s*(?:an?|the)\s+([^,.;()]{3,100})|\s+is\s+(?:an?|the)\s+([^.;]{3,150})"
    r"|:\s*([^.;]{3,100}))"
)


def _names_another_code(key: str, sentence: str) -> bool:
    codes = {name_key(m.group(1)) for m in _CODE.finditer(sentence) if is_development_code(m.group(1))}
    return bool(codes - {key, key.replace(" ", "")})
