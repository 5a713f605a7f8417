"""Read-only admins of where trials came from: source records, import runs and outcomes, change history."""

import json

from django.contrib import admin
from django.db.models import Case, Value, When
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html, format_html_join

from trials.admin.base import ChangeListDeferMixin, LightTrialMixin, ReadOnlyAdmin, ReadOnlyInline, admin_link
from trials.models import CatalogueChange, ImportFile, ImportOutcome, SourceRecord, TrialChange

# Long texts in the admin scroll inside their box instead of stretching the page.
# Long raw text wraps and scrolls: static/css/admin.css (no style attribute: the CSP allows none).
_PRE = '<pre class="source-text">{}</pre>'


@admin.register(SourceRecord)
class SourceRecordAdmin(ChangeListDeferMixin, LightTrialMixin, ReadOnlyAdmin):
    list_display = ("origin", "format", "trial_link", "short_sha256", "parser_version", "imported_at")
    list_filter = ("format", "parser_version")
    search_fields = ("origin", "=sha256", "trial__registry_ids__value")
    fieldsets = (
        (
            None,
            {"fields": ("trial_link", "format", "origin", "sha256", "parser_version", "imported_at", "last_seen_at")},
        ),
        ("Raw text, exactly as received", {"fields": ("size", "raw_text")}),
        ("The same JSON, indented for reading", {"classes": ("collapse",), "fields": ("indented_json",)}),
    )
    readonly_fields = (
        "trial_link",
        "format",
        "origin",
        "sha256",
        "parser_version",
        "imported_at",
        "last_seen_at",
        "size",
        "raw_text",
        "indented_json",
    )
    # The raw bytes are read only on a record's own page.
    changelist_defer = ("raw",)

    @admin.display(description="sha256")
    def short_sha256(self, obj):
        return obj.sha256[:12]

    @admin.display(description="size")
    def size(self, obj):
        return f"{len(obj.raw):,} bytes"

    @admin.display(description="raw text (UTF-8)")
    def raw_text(self, obj):
        return format_html(_PRE, obj.text)

    @admin.display(description="indented JSON")
    def indented_json(self, obj):
        try:
            data = json.loads(obj.text)
        except ValueError:
            return "Not JSON."
        return format_html(_PRE, json.dumps(data, indent=2, ensure_ascii=False))


class OutcomeListFormSet(BaseInlineFormSet):
    """At most ``LIMIT`` outcomes on a run's page (failures first); the full list is one link away."""

    LIMIT = 100

    def get_queryset(self):
        if not hasattr(self, "_limited"):
            self._limited = super().get_queryset()[: self.LIMIT]
        return self._limited


class ImportOutcomeInline(ReadOnlyInline):
    model = ImportOutcome
    formset = OutcomeListFormSet
    fields = ("source", "outcome", "trial_link", "source_record_link", "changed", "error")
    readonly_fields = fields
    verbose_name_plural = f"outcomes (failures first, at most {OutcomeListFormSet.LIMIT})"

    def get_queryset(self, request):
        failures_first = Case(When(outcome=ImportOutcome.Outcome.FAILED, then=Value(0)), default=Value(1))
        return super().get_queryset(request).order_by(failures_first, "id")

    # Links by id, labelled with the ids the outcome recorded: no query per row.
    @admin.display(description="trial")
    def trial_link(self, obj):
        return admin_link("trial", obj.trial_id, ", ".join(obj.registry_ids) or f"Trial {obj.trial_id}")

    @admin.display(description="source record")
    def source_record_link(self, obj):
        return admin_link("sourcerecord", obj.source_record_id, f"#{obj.source_record_id}")

    @admin.display(description="changed fields")
    def changed(self, obj):
        return ", ".join(obj.changed_fields)


@admin.register(ImportFile)
class ImportFileAdmin(ReadOnlyAdmin):
    list_display = ("name", "run", "size")
    list_select_related = ("run",)
    search_fields = ("name",)
    fields = ("name", "run", "size")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("data")


@admin.register(ImportOutcome)
class ImportOutcomeAdmin(ReadOnlyAdmin):
    list_display = ("source", "run_link", "outcome", "trial_link", "ids", "short_error")
    list_filter = ("outcome",)
    list_select_related = ("run",)
    search_fields = ("source", "error")
    fields = ("run_link", "source", "outcome", "trial_link", "source_record_link", "ids", "changed", "error")
    readonly_fields = fields

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term and " " not in term:
            # A failed record has no trial; the registry ids it named are kept on the outcome.
            found |= queryset.filter(registry_ids__contains=[term.upper()])
        return found, may_have_duplicates

    @admin.display(description="run", ordering="run")
    def run_link(self, obj):
        return admin_link("importrun", obj.run_id, obj.run)

    @admin.display(description="trial")
    def trial_link(self, obj):
        return admin_link("trial", obj.trial_id, f"Trial {obj.trial_id}")

    @admin.display(description="source record")
    def source_record_link(self, obj):
        return admin_link("sourcerecord", obj.source_record_id, f"#{obj.source_record_id}")

    @admin.display(description="registry ids")
    def ids(self, obj):
        return ", ".join(obj.registry_ids)

    @admin.display(description="changed fields")
    def changed(self, obj):
        return ", ".join(obj.changed_fields)

    @admin.display(description="error")
    def short_error(self, obj):
        return obj.error[:120]


@admin.register(TrialChange)
class TrialChangeAdmin(LightTrialMixin, ReadOnlyAdmin):
    list_display = ("changed_at", "trial_link", "fields_changed", "made_by")
    list_select_related = ("trial", "import_run", "changed_by")
    date_hierarchy = "changed_at"
    search_fields = ("trial__registry_ids__value", "trial__brief_title")
    fields = ("trial_link", "changed_at", "made_by", "source_record_link", "change_table")
    readonly_fields = fields

    @admin.display(description="fields")
    def fields_changed(self, obj):
        return ", ".join(obj.changes)

    @admin.display(description="made by")
    def made_by(self, obj):
        if obj.changed_by_id:
            return obj.changed_by
        return admin_link("importrun", obj.import_run_id, obj.import_run)

    @admin.display(description="source record")
    def source_record_link(self, obj):
        return admin_link("sourcerecord", obj.source_record_id, f"#{obj.source_record_id}")

    @admin.display(description="changes")
    def change_table(self, obj):
        rows = format_html_join(
            "",
            '<tr><th scope="row">{}</th><td>' + _PRE + "</td><td>" + _PRE + "</td></tr>",
            ((name, _dump(change.get("old")), _dump(change.get("new"))) for name, change in obj.changes.items()),
        )
        return format_html(
            '<table><thead><tr><th scope="col">field</th><th scope="col">old</th><th scope="col">new</th></tr>'
            "</thead><tbody>{}</tbody></table>",
            rows,
        )


def _dump(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


@admin.register(CatalogueChange)
class CatalogueChangeAdmin(ReadOnlyAdmin):
    """Each move of the catalogue's version and the trials it was about: what the in-memory
    search snapshots read again to catch up (``trials.engine.catching_up``)."""

    list_display = ("version", "trial_count")
    fields = ("version", "trial_ids")
    readonly_fields = fields
    ordering = ("-version",)

    @admin.display(description="trials")
    def trial_count(self, obj):
        return "every trial (not a known set)" if obj.trial_ids is None else len(obj.trial_ids)
