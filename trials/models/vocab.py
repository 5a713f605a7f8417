"""Normalized vocabularies a trial points into: conditions, MeSH terms, drugs and drug classes."""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q

from trials.models.trial import Trial


class Condition(models.Model):
    """A normalized condition; ``key`` is its case-folded name, the lookup used by the loader."""

    name = models.CharField(max_length=500)
    key = models.CharField(max_length=500, unique=True, editable=False)
    mesh_id = models.CharField("MeSH id", max_length=12, blank=True, default="")
    # A curator's mapping to MeSH, which the vocabulary never overrides.
    mapped_by_curator = models.BooleanField(default=False)
    # Other wordings (name keys) a curator mapped here; a source writing one of them finds this row.
    aliases = ArrayField(models.CharField(max_length=500), default=list, blank=True, editable=False)
    # What full-text search finds the condition's trials by: its MeSH heading, entry terms and
    # abbreviations, and the headings above it ("lung cancer" finds small cell lung cancer).
    search_text = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        indexes = [
            # The loader's lookup of a wording a curator mapped to this condition.
            GinIndex(fields=["aliases"], name="condition_aliases_gin"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["mesh_id"], condition=~Q(mesh_id=""), name="condition_mesh_id_uniq"),
        ]

    def __str__(self):
        return self.name


class TrialCondition(models.Model):
    """A trial's condition as the source wrote it, pointing to the normalized condition."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="trial_conditions")
    condition = models.ForeignKey(Condition, on_delete=models.PROTECT, related_name="trial_conditions")
    source_term = models.CharField(max_length=500)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["trial", "position"]
        indexes = [
            # Condition facet counts and the condition filter (trials of a condition).
            models.Index(fields=["condition", "trial"], name="trialcondition_condition_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["trial", "position"], name="trialcondition_position_uniq"),
        ]

    def __str__(self):
        return self.source_term


class TrialMeshTerm(models.Model):
    """MeSH terms CT.gov derived for a study's conditions or interventions (``derivedSection``)."""

    class Branch(models.TextChoices):
        CONDITION = "CONDITION", "Condition"
        INTERVENTION = "INTERVENTION", "Intervention"

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="mesh_terms")
    branch = models.CharField(max_length=12, choices=Branch.choices)
    mesh_id = models.CharField(
        "MeSH id", max_length=12, blank=True, help_text="Blank when the source named only the term"
    )
    term = models.CharField(max_length=300)
    is_ancestor = models.BooleanField(default=False)

    class Meta:
        ordering = ["trial", "branch", "is_ancestor", "term"]
        verbose_name = "trial MeSH term"
        indexes = [
            # Trials under a MeSH descriptor (condition tree drill-down).
            models.Index(fields=["mesh_id", "trial"], name="trialmeshterm_mesh_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["trial", "branch", "mesh_id"], condition=~Q(mesh_id=""), name="trialmeshterm_uniq"
            ),
            # Legacy XML names MeSH terms without their ids: those are unique by term.
            models.UniqueConstraint(
                fields=["trial", "branch", "term"], condition=Q(mesh_id=""), name="trialmeshterm_term_uniq"
            ),
        ]

    def __str__(self):
        return f"{self.term} ({self.mesh_id})"


class DrugClass(models.Model):
    """A class of drugs; classes form a tree (PD-1 inhibitor within immune checkpoint inhibitor)."""

    class Source(models.TextChoices):
        CURATED = "curated", "Curated mechanism table"
        MESH = "mesh", "MeSH pharmacological action"
        CURATOR = "curator", "Added by a curator"

    key = models.CharField(max_length=200, unique=True, help_text="The vocabulary's key, e.g. pd1_inhibitor")
    name = models.CharField(max_length=200)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    mesh_id = models.CharField("MeSH id", max_length=12, blank=True, default="")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.CURATOR)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "drug classes"
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="drugclass_not_own_parent"),
        ]

    def __str__(self):
        return self.name

    def lineage(self) -> list["DrugClass"]:
        """This class and its ancestors, nearest first. One query per level (trees are shallow)."""
        chain, node, seen = [], self, set()
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return chain


class Drug(models.Model):
    """A drug an intervention resolves to; ``key`` is ``trials.vocab.keys.name_key`` of its name."""

    class Resolution(models.TextChoices):
        CURATED = "curated", "Curated mechanism table"
        DICTIONARY = "dictionary", "Drug-name dictionary"
        MESH = "mesh", "MeSH"
        STUDY_MESH = "study_mesh", "The study's own MeSH terms"
        INN_STEM = "inn_stem", "INN stem (provisional)"
        CODE = "code", "A development code no vocabulary lists"
        UNRESOLVED = "unresolved", "Not in the vocabulary"
        CURATOR = "curator", "Set by a curator"

    name = models.CharField(max_length=300)
    key = models.CharField(max_length=300, unique=True, editable=False)
    synonyms = ArrayField(models.CharField(max_length=300), default=list, blank=True)
    mesh_id = models.CharField("MeSH id", max_length=12, blank=True, default="")
    classes = models.ManyToManyField(DrugClass, blank=True, related_name="drugs")
    via = models.CharField("resolved by", max_length=10, choices=Resolution.choices, default=Resolution.UNRESOLVED)
    # Classes guessed from the name's INN stem only: shown to curators in the review queue.
    needs_review = models.BooleanField(default=False)
    # What full-text search finds the drug's trials by: synonyms, class names and their parents.
    search_text = models.TextField(blank=True, editable=False)
    # Name keys of its name and synonyms: a name the vocabulary does not know (a synonym a curator
    # added) still finds this drug.
    name_keys = ArrayField(models.CharField(max_length=300), default=list, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        indexes = [
            # The loader's lookup of a name the vocabulary does not know.
            GinIndex(fields=["name_keys"], name="drug_name_keys_gin"),
            # The curators' queue of unclassified and provisional drugs.
            models.Index(fields=["via", "needs_review"], name="drug_resolution_idx"),
        ]

    def __str__(self):
        return self.name
