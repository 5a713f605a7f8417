"""A drug class guessed from the name alone, for names the vocabulary does not know yet.

WHO INN stems say what a new molecule is ("-ciclib": CDK inhibitor, "-parib": PARP inhibitor), and
trial records often name a class instead of a drug ("anti-PD-1 antibody", "CD19 CAR-T cells").
Both are guesses a curator should confirm, so the resolver marks them provisional.
"""

from __future__ import annotations

import re

from trials.vocab.keys import name_key
from trials.vocab.pinyin import is_pinyin_medicine


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Most specific first: the first stem a word ends with decides.
_STEMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ciclib", ("cdk46_inhibitor",)),
    ("parib", ("parp_inhibitor",)),
    ("rafenib", ("braf_inhibitor",)),
    ("metinib", ("mek_inhibitor",)),
    ("brutinib", ("btk_inhibitor",)),
    ("lisib", ("pi3k_inhibitor",)),
    ("rasib", ("kras_g12c_inhibitor",)),
    ("anib", ("vegfr_tki",)),  # angiogenesis inhibitors (-anib), tried before the plain -tinib
    ("tinib", ("kinase_inhibitor",)),
    ("sertib", ("kinase_inhibitor",)),
    ("clax", ("bcl2_inhibitor",)),
    ("zomib", ("proteasome_inhibitor",)),
    ("inostat", ("hdac_inhibitor",)),
    ("degib", ("hedgehog_inhibitor",)),
    ("platin", ("platinum_compound",)),
    ("taxel", ("taxane",)),
    ("rubicin", ("anthracycline",)),
    ("tecan", ("topoisomerase_i_inhibitor",)),
    ("lutamide", ("antiandrogen",)),
    ("trozole", ("aromatase_inhibitor",)),
    ("relix", ("gnrh_antagonist",)),
    ("relin", ("gnrh_agonist",)),
    ("mustine", ("alkylating_agent",)),
    ("citabine", ("antimetabolite",)),
    ("trexed", ("antimetabolite",)),
    ("cabtagene", ("car_t",)),
    ("leucel", ("cell_therapy",)),
    # Monoclonal antibodies: only the immunomodulating infix (-li(m)-) says something about the
    # target; -ciximab, -zumab, -umab only say where the antibody comes from.
    ("limab", ("immunomodulating_antibody",)),
    ("limumab", ("immunomodulating_antibody",)),
    ("lizumab", ("immunomodulating_antibody",)),
    ("liximab", ("immunomodulating_antibody",)),
    ("mab", ("monoclonal_antibody",)),
    ("stomig", ("bispecific_antibody",)),
    ("tamig", ("bispecific_antibody",)),
    ("mig", ("bispecific_antibody",)),  # -mig: multi-specific immunoglobulins (2022 scheme)
    ("tug", ("monoclonal_antibody",)),  # -tug: unmodified immunoglobulins (2022 scheme)
    ("bart", ("monoclonal_antibody",)),
)
# The second word of an antibody-drug conjugate's INN names its payload.
_ADC_PAYLOADS = _words(
    "vedotin deruxtecan govitecan mafodotin ozogamicin emtansine soravtansine tesirine duocarmazine "
    "rezetecan tirumotecan samrotecan"
)
_MIN_STEMMED_WORD = 6  # "tug", "mig" or "mab" alone, or words like "lamb", are not INNs

# A class named instead of a drug, as registries write it.
_CLASS_MENTIONS: tuple[tuple[re.Pattern, tuple[str, ...]], ...] = tuple(
    (re.compile(pattern), classes)
    for pattern, classes in (
        (r"\bpd l1\b.*\bvegf\b|\bvegf\b.*\bpd l1\b", ("pdl1_inhibitor", "vegf_inhibitor", "bispecific_antibody")),
        (r"\bpd 1\b.*\bvegf\b|\bvegf\b.*\bpd 1\b", ("pd1_inhibitor", "vegf_inhibitor", "bispecific_antibody")),
        (r"\b(?:anti )?pd l1\b", ("pdl1_inhibitor",)),
        (r"\b(?:anti )?pd ?1\b", ("pd1_inhibitor",)),
        (r"\b(?:anti )?ctla ?4\b", ("ctla4_inhibitor",)),
        (r"\b(?:anti )?lag ?3\b", ("lag3_inhibitor",)),
        (r"\b(?:anti )?tigit\b", ("tigit_inhibitor",)),
        (r"\b(?:anti )?tim ?3\b", ("tim3_inhibitor",)),
        (r"\bimmune checkpoint inhibitors?\b", ("immune_checkpoint_inhibitor",)),
        (r"\bcar ?nk\b", ("car_nk",)),
        # "CD19 CAR-T", "anti-CD19-CAR", "B7-H3CART", "CAR.B7-H3T cells", "SC-CAR4BRAIN".
        (
            r"\bcar ?t\b|\bcart\d*\b|\bchimeric antigen receptor\b|\bucar t\b|\bcar\b(?! ?nk)|\d(?:car|cart)\b"
            r"|\bcar\d",
            ("car_t",),
        ),
        (r"\btils?\b|\btumou?r infiltrating lymphocytes?\b", ("til_therapy",)),
        (r"\bbispecific\b", ("bispecific_antibody",)),
        (r"\bantibody drug conjugate\b|\bconjugated to\b", ("antibody_drug_conjugate",)),
        (r"\b(?:anti )?b7 ?h3\b|\bcd276\b", ("b7h3_targeted",)),
        (r"\bparp inhibitors?\b", ("parp_inhibitor",)),
        (r"\btyrosine kinase inhibitors?\b|\btkis?\b", ("kinase_inhibitor",)),
        (r"\bangiogenesis inhibitors?\b|\banti vegf\b|\banti ?angiogenic\b", ("angiogenesis_inhibitor",)),
        (r"\bplatinum\b", ("platinum_compound",)),
        (r"\bdendritic cell\b.*\bvaccine\b|\btumou?r lysate\b", ("cancer_vaccine",)),
        (r"\bnk cells?\b|\bnatural killer\b", ("cell_therapy",)),
        # Products named by kind: allergen extracts (by their source or by the WHO/IUIS allergen
        # name, "Bet v 1", "Phl p 5"), cell products, herbal medicines, probiotics.
        (
            r"\ballergens?\b|\ballergenic\b|\ballergy (?:immunotherapy|vaccination|vaccines?|shots?|drops|tablets?)\b"
            r"|\ballergoids?\b|\b(?:slit|scit|oit|epit|ilit|ait)\b|\b(?:sublingual|subcutaneous|oral"
            r"|epicutaneous|peanut|ragweed|grass|birch|pollen|mite|cockroach) immuno ?therapy\b"
            r"|\b(?:pollen|grass(?:es)?|birch|ragweed|mites?|hdm|peanut|cockroach|cat dander|milk protein|tree)"
            r" (?:\w+ )?(?:extracts?|tablets?"
            r"|drops|allergoids?|vaccination)\b|\br?(?:bet|phl|der|fel|ara|cry|amb|ole|par|bla|alt|api|ves|pru|mal|lol"
            r"|cyn|equ|cor|aln|que|art|gal|cyp|gad|pen|jug) [a-z] ?\d+[a-z0-9]*\b"
            # An allergen source by its genus ("rPhleum"), or a food given to desensitize.
            r"|\br?(?:phleum|betula|dermatophagoides|ambrosia|parietaria|alternaria|cryptomeria)\b"
            r"|\b(?:peanut|baked milk|baked egg|cat dander|food) (?:proteins?|powder|flour|oral immunotherapy)\b"
            r"|^(?:baked|non baked) (?:milk|egg)$|^peanut (?:consumption|ingestion)\b|\brush immunotherapy\b"
            r"|\bmata (?:trees?|grass(?:es)?)\b|\b(?:cat )?dander\b",
            ("allergen_immunotherapy",),
        ),
        (
            r"\bstem cells?\b|\b(?:hu|uc|ad|bm|huc|hp|wj)?mscs?\b|\bmesenchymal\b|\bstromal vascular fraction\b"
            r"|\bmononucle[a-z]* cells\b|\bhspcs?\b|\bhaematopoietic\b|\bhematopoietic\b"
            r"|\b(?:autologous|allogeneic|allogenic)\b(?:\W+\w+){0,8}?\W+(?:t )?(?:cells?|lymphocytes?)"
            r"(?: (?:pulsed|transduced|infusion|injection|product))?$|\b[a-z]{2,}(?<!sy)stem(?: ad)?\b"
            r"|\b(?:t|nk|dendritic|leuka?emic) (?:lymphocyte )?cells?$"
            r"|\bbmmcs?\b|\bt (?:lymphocytes?|cells?) (?:injection|infusion|product|therapy|suspension)\b"
            r"|\bplasmablasts\b|\bwharton s? jelly\b",
            ("cell_therapy",),
        ),
        (
            r"\bherbal\b|\btraditional (?:chinese )?medicine\b|\bchinese medicine\b|\btcm\b|\bdecoction\b|\bkampo\b"
            r"|\b[a-z]+ (?:tang|san)\b|\bhomeopathic\b",
            ("herbal_medicine",),
        ),
        (r"\bprobiotics?\b|\bprebiotics?\b|\blactobacill[a-z]*\b|\bbifidobacter[a-z]*\b", ("probiotic",)),
        (
            r"\bfa?ecal (?:microbiota|microbial|microbiome|flora) transplant[a-z]*\b|\bfmt\b"
            r"|\bmicrobi(?:al|ota|ome) (?:transplant[a-z]*|inocul[a-z]*) ?(?:therapy)?\b",
            ("faecal_microbiota_transplant",),
        ),
        # Any vaccine the families above do not name (cancer vaccines come first).
        (r"\bvaccines?\b|\bvaccination\b", ("vaccine",)),
        # Last: a named family above ("platinum-based chemotherapy") is the more specific answer.
        (r"\b[a-z]*chemotherapy\b|\bchemo\b|\bchemo ?radio ?therapy\b|\bchemoradiation\b", ("chemotherapy",)),
        (r"\bhormon(?:e|al) therapy\b|\bendocrine therapy\b|\bandrogen deprivation\b", ("hormone_therapy",)),
    )
)


def stem_classes(name: str) -> tuple[str, ...]:
    """Classes the INN stem of a word in ``name`` implies, or () when no word carries one."""
    words = name_key(name).split()
    if len(words) >= 2 and words[1] in _ADC_PAYLOADS:
        return ("antibody_drug_conjugate",)
    for word in words:
        if len(word) < _MIN_STEMMED_WORD or not word.isalpha():
            continue
        for stem, classes in _STEMS:
            if word.endswith(stem):
                return classes
    return ()


def mentioned_classes(name: str) -> tuple[str, ...]:
    """Classes a name written as a class ("anti-PD-1 antibody", "CD19 CAR-T") stands for."""
    key = name_key(name)
    for pattern, classes in _CLASS_MENTIONS:
        if pattern.search(key):
            return classes
    return ("herbal_medicine",) if is_pinyin_medicine(key) else ()
