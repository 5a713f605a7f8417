"""What a trial does: arms, interventions and outcomes, in source order."""

from django.contrib.postgres.fields import ArrayField
from django.db import models

from trials import choices
from trials.models.trial import Trial
from trials.models.vocab import Drug


class Arm(models.Model):
    Type = choices.ArmType

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="arms")
    label = models.CharField(max_length=500)
    type = models.CharField(max_length=20, choices=Type.choices, blank=True, default="")
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["trial", "position"]
        constraints = [models.UniqueConstraint(fields=["trial", "position"], name="arm_position_uniq")]

    def __str__(self):
        return self.label


class Intervention(models.Model):
    Type = choices.InterventionType

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="interventions")
    type = models.CharField(max_length=20, choices=Type.choices, blank=True, default="")
    name = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    other_names = ArrayField(models.CharField(max_length=500), default=list, blank=True)
    position = models.PositiveSmallIntegerField()
    arms = models.ManyToManyField(Arm, blank=True, related_name="interventions")
    drugs = models.ManyToManyField(Drug, blank=True, related_name="interventions")
    # A placebo keeps its type (often DRUG) but is no drug: it resolves to none and is marked.
    is_placebo = models.BooleanField(default=False)

    class Meta:
        ordering = ["trial", "position"]
        constraints = [models.UniqueConstraint(fields=["trial", "position"], name="intervention_position_uniq")]

    def __str__(self):
        return f"{self.get_type_display()}: {self.name}" if self.type else self.name


class Outcome(models.Model):
    Kind = choices.OutcomeKind

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="outcomes")
    kind = models.CharField(max_length=9, choices=Kind.choices)
    measure = models.TextField()
    description = models.TextField(blank=True)
    time_frame = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["trial", "position"]
        constraints = [models.UniqueConstraint(fields=["trial", "position"], name="outcome_position_uniq")]

    def __str__(self):
        return self.measure[:100]
