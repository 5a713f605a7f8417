"""Curators' imports in admin: upload files, preview what each record would become, apply.

The run list has an "Import files" button; a preview run's page lists each record's outcome
(new trial, changed fields, unchanged, error) and an "Apply" button; a running import's page
refreshes itself and shows its progress. Large uploads run in the background worker.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from trials.admin.base import ReadOnlyAdmin, ReadOnlyInline
from trials.admin.provenance import ImportOutcomeInline
from trials.choices import SourceFormat
from trials.ingest import uploads
from trials.ingest.run_liveness import mark_interrupted_runs
from trials.models import ImportFile, ImportOutcome, ImportRun
from trials.tasks import dispatch

IMPORT_PERMISSION = "trials.change_trial"  # curators, who may edit trials, may import them


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(f, initial) for f in files if f] or super().clean(None)


class UploadForm(forms.Form):
    files = MultipleFileField(
        # An empty file fails alone in the preview ("empty file"), like any other unreadable one.
        allow_empty_file=True,
        help_text="One or many files, or a .zip of them: CT.gov API JSON, legacy XML, CSV exports, "
        "saved ClinicalTrials.gov or ClinicalTrials.Veeva pages (text or HTML), field dumps.",
    )
    format = forms.ChoiceField(
        choices=[("", "Detect for each file"), *SourceFormat.choices],
        required=False,
        help_text="Only when detection picks the wrong format.",
    )

    def clean_files(self):
        files = self.cleaned_data["files"]
        for upload in files:
            uploads.check_upload_size(upload.name, upload.size)
        return files


class ImportFileInline(ReadOnlyInline):
    model = ImportFile
    fields = ("name", "size")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("data")


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "kind", "origin", "status", "created", "updated", "unchanged", "failed", "started_by")
    list_filter = ("status", "dry_run")
    list_select_related = ("started_by",)
    search_fields = ("origin",)
    fields = ("origin", "kind", "started_by", "started_at", "finished_at", "status", "progress", "outcome_counts")
    readonly_fields = fields
    inlines = (ImportFileInline, ImportOutcomeInline)
    change_list_template = "admin/trials/importrun/change_list.html"
    change_form_template = "admin/trials/importrun/change_form.html"

    def get_urls(self):
        own = [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="trials_importrun_upload"),
            path("<int:pk>/apply/", self.admin_site.admin_view(self.apply_view), name="trials_importrun_apply"),
            path("<int:pk>/rerun/", self.admin_site.admin_view(self.rerun_view), name="trials_importrun_rerun"),
        ]
        return own + super().get_urls()

    @admin.display(description="kind")
    def kind(self, obj):
        if obj.dry_run:
            return "preview (nothing written)"
        return format_html("applies preview {}", obj.preview_of_id) if obj.preview_of_id else "import"

    @admin.display(description="progress")
    def progress(self, obj):
        done = obj.created + obj.updated + obj.unchanged + obj.failed
        if obj.status == ImportRun.Status.QUEUED:
            return "Waiting for the background worker (`manage.py db_worker`)."
        total = max(obj.total, done)
        percent = 100 * done // total if total else 100
        return format_html(
            '<progress max="{}" value="{}">{}%</progress> {} of {} records', total or 1, done, percent, done, total
        )

    @admin.display(description="outcomes")
    def outcome_counts(self, obj):
        url = reverse("admin:trials_importoutcome_changelist")
        labels = _PREVIEW_LABELS if obj.dry_run else dict(ImportOutcome.Outcome.choices)
        return format_html_join(
            ", ",
            '<a href="{}?run__id__exact={}&amp;outcome__exact={}">{}: {}</a>',
            ((url, obj.pk, value, labels[value], getattr(obj, value)) for value in ImportOutcome.Outcome.values),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        mark_interrupted_runs()  # a run whose process died shows as interrupted, not running forever
        run = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "running": run is not None and run.status in (ImportRun.Status.QUEUED, ImportRun.Status.RUNNING),
            "can_apply": run is not None
            and run.dry_run
            and run.status == ImportRun.Status.COMPLETED
            and request.user.has_perm(IMPORT_PERMISSION)
            and not run.applied_by.exists(),
            "can_rerun": run is not None
            and run.status == ImportRun.Status.INTERRUPTED
            and request.user.has_perm(IMPORT_PERMISSION),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        mark_interrupted_runs()
        extra_context = {**(extra_context or {}), "can_import": request.user.has_perm(IMPORT_PERMISSION)}
        return super().changelist_view(request, extra_context)

    def upload_view(self, request):
        if not request.user.has_perm(IMPORT_PERMISSION):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                run = uploads.start_preview(
                    form.cleaned_data["files"], format=form.cleaned_data["format"], user=request.user
                )
            except ValidationError as exc:
                form.add_error("files", exc)
            else:
                queued = dispatch(run)
                self.message_user(
                    request,
                    "The preview runs in the background; this page follows it."
                    if queued
                    else "Preview ready: nothing has been written yet. Check each record, then apply or leave it.",
                )
                return redirect("admin:trials_importrun_change", run.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": "Import trial records",
            "form": form,
            "opts": self.model._meta,
            "max_mb": uploads.settings.IMPORT_UPLOAD_MAX_BYTES // 2**20,
        }
        return TemplateResponse(request, "admin/trials/importrun/upload.html", context)

    def apply_view(self, request, pk):
        return self._start_from(
            request, pk, uploads.start_apply, ("Import queued for the background worker.", "Import applied.")
        )

    def rerun_view(self, request, pk):
        """Run an interrupted run again over the same files: what it loaded comes out unchanged."""
        return self._start_from(
            request, pk, uploads.start_rerun, ("Queued again for the background worker.", "Run again to its end.")
        )

    def _start_from(self, request, pk, start, messages_when):
        """POST only: a new run made by ``start`` from run ``pk``, run now or queued (``messages_when`` says which)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm(IMPORT_PERMISSION):
            raise PermissionDenied
        source = get_object_or_404(ImportRun, pk=pk)
        try:
            run = start(source, request.user)
        except ValidationError as exc:
            self.message_user(request, exc.messages[0], messages.ERROR)
            return redirect("admin:trials_importrun_change", source.pk)
        queued = dispatch(run)
        self.message_user(request, messages_when[0] if queued else messages_when[1])
        return redirect("admin:trials_importrun_change", run.pk)


_PREVIEW_LABELS = {
    ImportOutcome.Outcome.CREATED: "would create",
    ImportOutcome.Outcome.UPDATED: "would update",
    ImportOutcome.Outcome.UNCHANGED: "unchanged",
    ImportOutcome.Outcome.FAILED: "failed",
}
