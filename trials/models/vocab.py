"""Normalized vocabularies a trial points into: conditions, MeSH terms, drugs and drug classes."""

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from trials.models.trial import Trial


class Condition(models.Model):
    """A normalized condition; ``key`` is its case-folded name, the lookup used by the loader."""

    name = models.CharField(max_length=500)
    key = models.CharField(max_length=500, unique=True, editable=False)
    mesh_id = models.CharField("MeSH id", max_length=12, blank=True, default="")

    class Meta:
        ordering = ["name"]
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

    name = models.CharField(max_length=200, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    mesh_id = models.CharField("MeSH id", max_length=12, blank=True, default="")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "drug classes"
        constraints = [
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="drugclass_not_own_parent"),
        ]

    def __str__(self):
        return self.name


class Drug(models.Model):
    """A drug an intervention resolves to; ``key`` is its case-folded name."""

    name = models.CharField(max_length=300)
    key = models.CharField(max_length=300, unique=True, editable=False)
    synonyms = ArrayField(models.CharField(max_length=300), default=list, blank=True)
    mesh_id = models.CharField("MeSH id", max_length=12, blank=True, default="")
    classes = models.ManyToManyField(DrugClass, blank=True, related_name="drugs")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
