"""From an intervention to drugs and drug classes, over the shipped vocabulary in ``data/vocab/``.

Pure functions: no ORM, no network. The vocabulary is read once (``drug_vocabulary()``); a name
is looked up as written, then with its dose, salt, dosage form and trial wording ("monotherapy",
"once daily dosing") taken off, then by its bracketed alternatives, then by the intervention's
other names, then by the study's own MeSH intervention terms, then by its INN stem or the class its
wording names. A name the vocabulary does not know that is a sponsor's development code
("HB0030 injection", "LP-003 Dose 1") is a drug of its own, keyed by the code, resolved "by code"
(no vocabulary lists it), with the class its record's wording gives it, provisionally
(``record_text``).
"""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from trials.choices import DRUG_LIKE_INTERVENTION_TYPES
from trials.drugs import drug_names, is_placebo, names_no_drug
from trials.vocab.inn_stems import mentioned_classes, stem_classes
from trials.vocab.keys import name_key
from trials.vocab.record_text import described_classes, development_code, is_development_code, wording_classes
from trials.vocab.regimens import regimen_drugs
from trials.vocab.spelling import SpellingIndex
from trials.vocab.stored import stored


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


VOCAB_DIR = Path(__file__).resolve().parents[2] / "data" / "vocab"
_DRUG_LIKE = frozenset(str(t) for t in DRUG_LIKE_INTERVENTION_TYPES)
_FOLDED = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)*")  # already what name_key returns: skip the call
_LEADING_DOSE = re.compile(
    r"^\s*\d[\d.,]*\s*(?:mg|mcg|µg|ug|g|ml|iu|units?|%)(?!\w)", re.I
)  # "5 mg Tadalafil", "3% albumin"
_HAS_DIGIT = re.compile(r"\d")
_UNCLOSED = re.compile(r"[(\[（][^)\]）]*$")  # "folfiri (standard of care" once the splitter trimmed it
_BRACKETED = re.compile(r"[(\[（]([^)\]）]*)(?:[)\]）]|$)")  # "Exparel (bupivacaine liposome" once trimmed
_DOSE_TOKEN = r"\b\d[\d.,]*\s*(?:mg|mcg|µg|ug|g|ml|iu|units?|mg/kg|mg/m2|%)(?:/\w+)?(?!\w)"
_DOSE = re.compile(_DOSE_TOKEN + ".*$", re.I)  # "Cabozantinib 40 mg daily PO": the dose and what follows
_DOSE_INSIDE = re.compile(_DOSE_TOKEN, re.I)  # "ALK diluent 0,3% human albumin": the name goes on after it
# Words in front of a drug name that describe the route, timing or dose, not the drug.
_LEADING = _words(
    "oral iv intravenous subcutaneous sc topical inhaled intrathecal intravesical adjuvant neoadjuvant "
    "low high standard reduced dose full the a an drug biological recombinant human"
)
# Words after a drug name: salts and forms (the vocabulary knows "cabozantinib", not its S-malate)
# and trial wording. The name is first looked up whole, so "abiraterone acetate" still meets its row.
_TRAILING = _words(
    "hydrochloride hcl dihydrochloride mesylate mesilate dimesylate maleate tartrate bitartrate sulfate "
    "sulphate sodium potassium calcium citrate acetate phosphate besylate besilate tosylate succinate "
    "fumarate malate s hydrate monohydrate dihydrate anhydrous injection injections inj for tablets "
    "tablet tab tabs capsules capsule caps oral solution suspension infusion iv po sc im prefilled "
    "syringe powder concentrate extended release er xr sr monotherapy group arm cohort therapy treatment "
    "regimen maintenance alone only dose doses dosing escalation expansion schedule daily once twice "
    "weekly qd bid tid q3w q2w q4w level phase part cycle cycles mono single agent administration product "
    "drug ophthalmic eye ear nasal drops cream ointment gel spray lotion patch topical"
)
# Words after a molecule that make it a target, not a drug: "topoisomerase I inhibitor".
_TARGET_WORDS = _words("inhibitor inhibitors receptor receptors antagonist agonist pathway targeting targeted")
# "AMG 355", "BI 764532", "CNTO 7160": a sponsor's prefix in capitals, a space, the number.
_SPACED_CODE = re.compile(r"\b([A-Z]{1,5}) (\d{3,})\b")
# After a code: its dose units ("MK-8237 6 DU") and trial wording.
_CODE_TRAILING = _words("suspension single multiple du su au bau sq ir iu ppx")
# Words that name no drug on their own, whatever the vocabulary's synonyms say.
_GENERIC = _words(
    "therapy treatment chemotherapy cell cells injection vaccine antibody antibodies inhibitor blood "
    "sample samples test tests standard normal saline water solution oral agent agents drug drugs "
    "medicine medication other control group stem receptor receptors antigen chimeric extract allergen "
    "immunotherapy protein conventional usual care herbal acid vitamin sodium chloride monoclonal "
    "humanized human recombinant fusion chemoradiotherapy tablet capsule specimen collection"
)


@dataclass(frozen=True)
class DrugClassInfo:
    key: str
    name: str
    parent_key: str | None
    mesh_id: str
    source: str
    synonyms: tuple[str, ...] = ()  # MeSH entry terms: "Antibiotic" for Anti-Bacterial Agents


@dataclass(frozen=True)
class ResolvedDrug:
    key: str  # vocabulary key of the drug, or name_key of the name as written when unresolved
    name: str  # canonical name, or the name as written when unresolved
    mesh_id: str
    synonyms: tuple[str, ...]  # brand names, codes, other names (for the search text)
    class_keys: tuple[str, ...]  # the drug's own classes, not their ancestors
    via: str  # curated | dictionary | mesh | study_mesh | inn_stem | unresolved
    provisional: bool  # classes guessed from the name only: a curator should review


def fold(text: str) -> str:
    return text if _FOLDED.fullmatch(text) else name_key(text)


def mesh_key(mesh_id: str) -> str:
    """CT.gov pads old MeSH ids ("D000009271" for D009271); old and new numbers never overlap."""
    return mesh_id[:1] + str(int(mesh_id[1:])) if mesh_id[1:].isdigit() else mesh_id


class DrugVocabulary:
    def __init__(self, classes: dict[str, DrugClassInfo], rows: list[tuple[str, ...]]):
        self.classes = classes
        self._rows = rows  # (key, name, mesh_id, class_keys, synonyms, source), fields as stored
        self._by_name: dict[str, int] = {}
        self._by_mesh: dict[str, int] = {}
        by_synonym: dict[str, int] = {}
        for index, (key, _, mesh_id, _, synonyms, _) in enumerate(rows):
            self._by_name[key] = index
            if mesh_id:
                self._by_mesh[mesh_key(mesh_id)] = index
            for synonym in synonyms.split("|") if synonyms else ():
                by_synonym.setdefault(fold(synonym), index)
        self._by_synonym = by_synonym
        # "SHR1210" and "SHR-1210", "5FU" and "5-FU": codes meet without their spaces.
        compact: dict[str, int] = {}
        for table in (self._by_name, by_synonym):
            for key, index in table.items():
                if _HAS_DIGIT.search(key):
                    compact.setdefault(key.replace(" ", ""), index)
        self._by_compact = compact
        self._spelling: SpellingIndex | None = None  # built on the first misspelt name
        # A class written where a drug goes ("Antibiotic", "Glucocorticoids", "PD-1 inhibitor").
        self._class_by_name: dict[str, str] = {}
        for info in classes.values():
            for label in (info.name, *info.synonyms):
                self._class_by_name.setdefault(name_key(label), info.key)

    @classmethod
    def from_files(cls, folder: Path = VOCAB_DIR) -> DrugVocabulary:
        with open(folder / "drug_classes.tsv", encoding="utf-8", newline="") as handle:
            classes = {
                row["key"]: DrugClassInfo(
                    row["key"],
                    row["name"],
                    row["parent_key"] or None,
                    row["mesh_id"],
                    row["source"],
                    tuple(filter(None, row["synonyms"].split("|"))),
                )
                for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            }
        with gzip.open(folder / "drugs.tsv.gz", "rt", encoding="utf-8") as handle:
            next(handle)
            rows = [tuple(line.rstrip("\n").split("\t")) for line in handle]
        return cls(classes, rows)

    def ancestors(self, class_key: str) -> list[str]:
        """Parent, grandparent, ... keys of a class (a cycle in the data cannot loop forever)."""
        found: list[str] = []
        info = self.classes.get(class_key)
        while info and info.parent_key and info.parent_key not in found and len(found) < 20:
            found.append(info.parent_key)
            info = self.classes.get(info.parent_key)
        return found

    def lookup(self, name: str) -> ResolvedDrug | None:
        """The vocabulary's drug for ``name`` (a name, brand, code or synonym), forms and doses tolerated."""
        for candidate in _candidates(name):
            index = self._index_of(candidate)
            if index is not None:
                return self._drug(index, self._rows[index][5])
        return None

    def resolve(
        self,
        intervention_type: str | None,
        name: str,
        other_names: Iterable[str] = (),
        study_meshes: Iterable[tuple[str, str]] = (),
        description: str = "",
        arm_descriptions: Iterable[str] = (),
    ) -> list[ResolvedDrug]:
        """The drugs an intervention names, with their classes; [] for what is not a drug.

        ``description`` and ``arm_descriptions`` (the intervention's and its arms' text) only
        classify a development code the vocabulary does not know."""
        kind = (intervention_type or "").upper().replace(" ", "_")
        genetic = kind == "GENETIC"
        if not (kind in _DRUG_LIKE or genetic) or is_placebo(name):
            return []
        other_names = [n for n in other_names if n and not is_placebo(n)]
        study_meshes = list(study_meshes)
        parts = drug_names("DRUG", name)
        texts = ([description] if len(parts) == 1 else []), list(arm_descriptions)
        drugs = [self._resolve_one(part, other_names if len(parts) == 1 else (), study_meshes, texts) for part in parts]
        if len(parts) > 1 and any(d and d[0].via == "unresolved" for d in drugs):
            # "tegafur, gimeracil and oteracil": the whole name may be one product.
            whole = self.lookup(name)
            if whole is not None:
                drugs = [[whole]]
        found: list[ResolvedDrug] = []
        for drug in (d for group in drugs for d in group):
            if genetic and drug.via in {"unresolved", "code", "inn_stem"}:
                continue
            if drug.key not in {f.key for f in found}:
                found.append(drug)
        return found

    def _resolve_one(
        self,
        part: str,
        other_names: Sequence[str],
        study_meshes: list[tuple[str, str]],
        texts: tuple[list[str], list[str]] = ([], []),
    ) -> list[ResolvedDrug]:
        regimen = next(filter(None, map(regimen_drugs, [part, *_candidates(part)[:3]])), ())
        if regimen and self.lookup(part) is None:
            return [self.lookup(drug) or _unresolved(drug) for drug in regimen]
        drug = self.lookup(part)
        if drug is None:
            drug = next(filter(None, map(self.lookup, other_names)), None)
        if drug is None:
            drug = self._from_study_mesh(part, other_names, study_meshes)
        if drug is not None and drug.class_keys:
            return [drug]
        classes = (
            stem_classes(part)
            or next(filter(None, map(stem_classes, other_names)), ())
            or mentioned_classes(part)
            or (() if drug is not None else self._named_class(part) or wording_classes(part))
        )
        if drug is not None and classes:  # known drug, class unknown: the stem's guess, for review
            return [replace(drug, class_keys=classes, provisional=True)]
        if drug is not None:
            return [drug]
        code, aliases, own = _code_of(part, other_names)
        name = code if code and own else part  # "LP-003 Dose 1" is LP-003; "Denikitug" keeps its INN
        if classes:
            synonyms = tuple(n for n in dict.fromkeys((part, *aliases, *other_names)) if name_key(n) != name_key(name))
            return [ResolvedDrug(name_key(name), name, "", synonyms, classes, "inn_stem", True)]
        if code:
            wording = [n for n in (part, *other_names) if not is_development_code(n)]
            classes = described_classes(code, wording, *texts, names_other_drug=self._names_a_drug)
            synonyms = tuple(n for n in dict.fromkeys((part, *aliases, *other_names)) if name_key(n) != name_key(code))
            return [ResolvedDrug(name_key(code), code, "", synonyms, classes, "code", bool(classes))]
        classes = next(filter(None, map(wording_classes, other_names)), ())
        if classes:
            return [ResolvedDrug(name_key(part), part, "", tuple(other_names), classes, "inn_stem", True)]
        spelt = self._near_spelling(part)  # last: a stem, a class or a code says more than a near name
        if spelt is not None:
            return [spelt]
        if names_no_drug(part):  # "Blood draw", "Standard therapy": registered as a drug, yet none
            return []
        return [_unresolved(part)]

    def _named_class(self, part: str) -> tuple[str, ...]:
        """The class a name is written as: "Antibiotic", "anti-emetics", "Corticosteroids",
        "Inhaled corticosteroids (ICS)", "1 month of PDE5i treatment"."""
        for key in _candidates(part):
            for probe in (key, key[:-1] if key.endswith("s") else f"{key}s"):
                if probe in self._class_by_name:
                    return (self._class_by_name[probe],)
        return ()

    def _near_spelling(self, part: str) -> ResolvedDrug | None:
        """The drug a one-word name misspells by a letter ("Azactidine"), for a curator to confirm."""
        words = [key for key in _candidates(part) if " " not in key and key not in _GENERIC | _TRAILING | _LEADING]
        if not words:
            return None
        index = next(filter(lambda i: i is not None, map(self.spelling_index().row_of, words)), None)
        return None if index is None else replace(self._drug(index, self._rows[index][5]), provisional=True)

    def spelling_index(self) -> SpellingIndex:
        """The one-word names by their one-letter deletions, built on first use (0.25 s)."""
        if self._spelling is None:
            names = ((key, index) for table in (self._by_name, self._by_synonym) for key, index in table.items())
            self._spelling = SpellingIndex((key, index) for key, index in names if " " not in key)
        return self._spelling

    def _names_a_drug(self, text: str) -> bool:
        """Whether ``text`` names a drug the vocabulary knows by a one-word name ("pembrolizumab");
        targets written as words ("topoisomerase I inhibitor", "IL-10 receptor") are not drugs here."""
        words = name_key(text).split()
        for word, after in zip(words, [*words[1:], ""], strict=True):
            if len(word) < 6 or word in _GENERIC or word in _TRAILING or after in _TARGET_WORDS:
                continue
            if self._by_name.get(word) is not None or self._by_synonym.get(word) is not None:
                return True
        return False

    def _from_study_mesh(self, part: str, other_names: Sequence[str], study_meshes) -> ResolvedDrug | None:
        """The study's MeSH intervention term that names this part (CT.gov mapped it; we did not)."""
        words = {w for n in (part, *other_names) for w in name_key(n).split() if len(w) >= 4}
        words -= _TRAILING | _LEADING | _GENERIC
        for mesh_id, term in study_meshes:
            term_key = name_key(term)
            # The term's head word must be written in the intervention ("Testosterone enanthate").
            if term_key.split()[:1] and term_key.split()[0] not in words:
                continue
            index = self._by_mesh.get(mesh_key(mesh_id))
            if index is not None:
                return self._drug(index, "study_mesh")
            # A supplementary concept (C...) is a chemical; a descriptor without a pharmacological
            # action is as often "Pregnancy Tests" or "Ophthalmic Solutions" as a drug.
            if mesh_id.startswith("C"):
                return ResolvedDrug(term_key, term, mesh_id, (), (), "study_mesh", False)
        return None

    def _index_of(self, key: str) -> int | None:
        for table, probe in ((self._by_name, key), (self._by_synonym, key), (self._by_compact, key.replace(" ", ""))):
            index = table.get(probe)
            if index is not None:
                return index
        return None

    def _drug(self, index: int, via: str) -> ResolvedDrug:
        key, name, mesh_id, class_keys, synonyms, _ = self._rows[index]
        return ResolvedDrug(
            key=key,
            name=name,
            mesh_id=mesh_id,
            synonyms=tuple(synonyms.split("|")) if synonyms else (),
            class_keys=tuple(class_keys.split("|")) if class_keys else (),
            via=via,
            provisional=False,
        )


def _unresolved(name: str) -> ResolvedDrug:
    return ResolvedDrug(name_key(name), name, "", (), (), "unresolved", False)


def _code_of(part: str, other_names: Sequence[str]) -> tuple[str, list[str], bool]:
    """The development code a name (or else one of its other names) is, the codes written beside
    it, and whether the name itself is the code: "LP-003 Dose 1 (Single)" -> LP-003;
    "DB-1311/BNT324" -> DB-1311, [BNT324]; "Gadoquatrane (BAY1747846)" -> BAY1747846."""
    for own, text in ((True, part), *((False, other) for other in other_names)):
        plain = _UNCLOSED.sub(" ", _BRACKETED.sub(" ", text))
        words = _SPACED_CODE.sub(r"\1-\2", _DOSE.sub("", _LEADING_DOSE.sub("", plain))).replace("/", " ").split()
        while words and (name_key(words[0]) in _LEADING or not name_key(words[0])):
            words.pop(0)
        while words and _trailing_word(words[-1]):
            words.pop()
        codes = [development_code(word) for word in words]
        if codes and all(codes):  # "DB-1311 BNT324": one product under two codes
            aliases = [c for c in map(development_code, _BRACKETED.findall(text)) if c]
            return codes[0], [*codes[1:], *aliases], own
        bracketed = [development_code(inner) for inner in _BRACKETED.findall(text)]
        if own and bracketed and bracketed[0]:
            return bracketed[0], [], True
    return "", [], False


def _trailing_word(word: str) -> bool:
    key = name_key(word)
    return not any(ch.isalpha() for ch in key) or key in _TRAILING or key in _GENERIC or key in _CODE_TRAILING


def _candidates(name: str) -> list[str]:
    """Keys to try for a name, most faithful first: as written, without brackets, trimmed, shortened."""
    keys: list[str] = []
    windows: list[str] = []

    def add(text: str) -> None:
        key = name_key(text)
        if len(key) >= 3 and key not in keys:
            keys.append(key)

    add(name)
    plain = _UNCLOSED.sub(" ", _BRACKETED.sub(" ", name))
    add(plain)
    for text in (plain, *(inner for inner in _BRACKETED.findall(name)), _DOSE_INSIDE.sub(" ", plain)):
        words = name_key(_DOSE.sub("", _LEADING_DOSE.sub("", text))).split()
        while words and words[0] in _LEADING:
            words.pop(0)
        while words and (words[-1] in _TRAILING or words[-1].isdigit()):
            words.pop()
        add(" ".join(words))
        # "Poziotinib once daily dosing": the longest leading run of words; "EU-approved Xolair":
        # the longest trailing run. Runs of generic words ("blood", "stem cells") are no drug.
        for size in range(len(words) - 1, 0, -1):
            for run in (words[:size], words[-size:]):
                if len(" ".join(run)) >= 4 and not _GENERIC.issuperset(run):
                    windows.append(" ".join(run))
    for key in windows:
        add(key)
    for inner in _BRACKETED.findall(name):
        for alternative in re.split(r"[,;/]", inner):
            add(alternative)
    return keys


@lru_cache(maxsize=1)
def drug_vocabulary() -> DrugVocabulary:
    """The vocabulary shipped in ``data/vocab/``, read on first use, with its spelling index (stored
    with it: a day's new studies nearly always need it)."""

    def build() -> DrugVocabulary:
        vocabulary = DrugVocabulary.from_files()
        vocabulary.spelling_index()
        return vocabulary

    return stored("drugs", [VOCAB_DIR / "drug_classes.tsv", VOCAB_DIR / "drugs.tsv.gz"], build)
