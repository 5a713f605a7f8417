"""Where every trial came from: raw source records, import runs, per-record outcomes, change history."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from trials import choices
from trials.models.trial import Trial


class SourceRecord(models.Model):
    """One source record exactly as received (bytes), and the trial it produced."""

    Format = choices.SourceFormat

    trial = models.ForeignKey(Trial, null=True, blank=True, on_delete=models.SET_NULL, related_name="sources")
    format = models.CharField(max_length=32, choices=Format.choices)
    origin = models.CharField(max_length=1000, help_text="File name (and member or line) or URL")
    raw = models.BinaryField()
    sha256 = models.CharField(max_length=64, unique=True)
    parser_version = models.CharField(max_length=20)
    # What the parser read from it (TrialRecord.snapshot()): the loader merges a trial's sources
    # from these without parsing them again.
    snapshot = models.JSONField(default=dict, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-imported_at"]
        indexes = [
            # A trial's sources, shown on its page and in its JSON.
            models.Index(fields=["trial", "imported_at"], name="sourcerecord_trial_idx"),
        ]

    def __str__(self):
        return f"{self.origin} ({self.get_format_display()})"

    @property
    def text(self) -> str:
        return bytes(self.raw).decode("utf-8", errors="replace")


class ImportRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "QUEUED", "Queued"
        RUNNING = "RUNNING", "Running"
        COMPLETED = "COMPLETED", "Completed"
        FAILED = "FAILED", "Failed"
        INTERRUPTED = "INTERRUPTED", "Interrupted"

    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    origin = models.CharField(max_length=1000, help_text="What started it, e.g. the command line")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    # A preview writes nothing: each record is loaded and rolled back, to show what it would become.
    dry_run = models.BooleanField(default=False)
    format = models.CharField(
        max_length=32, choices=choices.SourceFormat.choices, blank=True, help_text="Blank: detected per file"
    )
    # The preview this run applies (admin import: preview first, then apply).
    preview_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="applied_by")
    # Records seen so far; the admin shows progress as (created + updated + unchanged + failed) / total.
    total = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self):
        return f"Import {self.pk} ({self.started_at:%Y-%m-%d %H:%M}, {self.get_status_display()})"


class ImportFile(models.Model):
    """A file uploaded in admin for an import run, kept until the run (or its preview) is deleted."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=500)
    data = models.BinaryField()
    size = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["run", "id"]

    def __str__(self):
        return self.name


class ImportOutcome(models.Model):
    """What one record of an import run became."""

    class Outcome(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        UNCHANGED = "unchanged", "Unchanged"
        FAILED = "failed", "Failed"

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="outcomes")
    source = models.CharField(max_length=1000)
    outcome = models.CharField(max_length=9, choices=Outcome.choices)
    trial = models.ForeignKey(Trial, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source_record = models.ForeignKey(SourceRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    registry_ids = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    changed_fields = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "id"]
        indexes = [
            # The admin's per-run outcome list, failures first.
            models.Index(fields=["run", "outcome"], name="importoutcome_run_idx"),
        ]

    def __str__(self):
        return f"{self.source}: {self.outcome}"


class TrialChange(models.Model):
    """One change to a trial: which fields, their old and new values, and who or which import made it."""

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="changes")
    changed_at = models.DateTimeField(auto_now_add=True)
    import_run = models.ForeignKey(ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source_record = models.ForeignKey(SourceRecord, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    # {field: {"old": ..., "new": ...}} in TrialRecord field names.
    changes = models.JSONField(default=dict)

    class Meta:
        ordering = ["trial", "-changed_at"]
        indexes = [
            # A trial's change history, newest first.
            models.Index(fields=["trial", "-changed_at"], name="trialchange_trial_idx"),
        ]

    def __str__(self):
        return f"{self.trial_id} @ {self.changed_at:%Y-%m-%d %H:%M}: {', '.join(self.changes)}"


class CatalogueChange(models.Model):
    """Which trials one move of the catalogue's version (``trials.search_index``) was about, so an
    in-memory search snapshot of an older version can catch up by reading only those trials.
    ``trial_ids`` is NULL when the change was not to a known set of trials (a vocabulary edit,
    a bulk load): a snapshot older than it is read again whole. Only the latest versions are kept."""

    version = models.BigIntegerField(primary_key=True)
    trial_ids = ArrayField(models.BigIntegerField(), null=True)

    def __str__(self):
        return f"v{self.version}: {'every trial' if self.trial_ids is None else len(self.trial_ids)}"
