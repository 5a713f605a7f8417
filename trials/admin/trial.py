"""The trial page for curators: the trial, its parts as inlines, and its read-only provenance."""

import datetime as dt
from functools import partial

from django.contrib import admin, messages
from django.db import models, transaction
from django.db.models import Case, OuterRef, Subquery, Value, When
from django.forms import Textarea
from django.utils.html import format_html, format_html_join

from trials.admin.base import (
    ArrayFieldsMixin,
    ChangeListDeferMixin,
    ModelAdmin,
    ReadOnlyInline,
    admin_link,
)
from trials.admin.edit_base import EditBaseForm
from trials.curation import (
    disagreements,
    lock_trials,
    mark_curated,
    merge_trials,
    part_of,
    possible_duplicates,
    release_curated,
)
from trials.models import (
    Arm,
    Contact,
    Intervention,
    Outcome,
    RegistryId,
    Site,
    SourceRecord,
    Trial,
    TrialChange,
    TrialCondition,
)
from trials.search_index import catalogue_changed, refresh_search_index
from trials.selectors import HEAVY_TRIAL_FIELDS
from trials.templatetags.trial_format import phase_label

_COMPACT_TEXT = {models.TextField: {"widget": Textarea(attrs={"rows": 2, "cols": 40})}}


class RegistryIdInline(admin.TabularInline):
    model = RegistryId
    extra = 0
    fields = ("scheme", "value", "issuer")


class TrialConditionInline(admin.TabularInline):
    model = TrialCondition
    extra = 0
    fields = ("position", "source_term", "condition")
    autocomplete_fields = ("condition",)


class ArmInline(admin.TabularInline):
    model = Arm
    extra = 0
    fields = ("position", "label", "type", "description")
    formfield_overrides = _COMPACT_TEXT


class InterventionInline(ArrayFieldsMixin, admin.TabularInline):
    model = Intervention
    extra = 0
    fields = ("position", "type", "name", "description", "other_names", "arms", "drugs")
    # Raw ids keep the page cheap: no option list of every arm or drug in the catalogue.
    raw_id_fields = ("arms", "drugs")
    formfield_overrides = _COMPACT_TEXT

    def get_queryset(self, request):
        # The raw-id widgets read each row's links from the prefetch, not one query per row.
        return super().get_queryset(request).prefetch_related("arms", "drugs")


class OutcomeInline(admin.TabularInline):
    model = Outcome
    extra = 0
    fields = ("position", "kind", "measure", "description", "time_frame")
    formfield_overrides = _COMPACT_TEXT


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0
    fields = ("position", "facility", "city", "state", "postal_code", "country", "country_code", "status")
    show_change_link = True  # a site's own page edits its contacts


class PeopleInline(admin.TabularInline):
    """Central contacts and overall officials; site contacts are edited on the site's page."""

    model = Contact
    extra = 0
    fields = ("kind", "position", "name", "role", "phone", "email", "affiliation")
    verbose_name = "central contact or official"
    verbose_name_plural = "central contacts and officials"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(site__isnull=True)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "kind":
            kwargs["choices"] = [(k.value, k.label) for k in (Contact.Kind.CENTRAL, Contact.Kind.OFFICIAL)]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


class SourceRecordInline(ReadOnlyInline):
    model = SourceRecord
    fields = ("source", "format", "parser_version", "sha256", "imported_at", "last_seen_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("raw", "snapshot")

    @admin.display(description="source record")
    def source(self, obj):
        return admin_link("sourcerecord", obj.pk, obj.origin)


class TrialChangeInline(ReadOnlyInline):
    model = TrialChange
    fields = ("changed_at", "made_by", "changed_fields")
    readonly_fields = fields
    verbose_name_plural = "change history"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("import_run", "changed_by")

    @admin.display(description="made by")
    def made_by(self, obj):
        if obj.changed_by_id:
            return obj.changed_by
        return admin_link("importrun", obj.import_run_id, obj.import_run) if obj.import_run_id else "-"

    @admin.display(description="changed fields")
    def changed_fields(self, obj):
        return admin_link("trialchange", obj.pk, ", ".join(obj.changes) or "(none)")


class PhaseFilter(admin.SimpleListFilter):
    title = "phase"
    parameter_name = "phase"

    def lookups(self, request, model_admin):
        return Trial.Phase.choices

    def queryset(self, request, queryset):
        if self.value() in Trial.Phase.values:
            return queryset.filter(phases__contains=[self.value()])
        return queryset


@admin.register(Trial)
class TrialAdmin(ChangeListDeferMixin, ModelAdmin):
    list_display = (
        "brief_title",
        "primary_registry_id_column",
        "overall_status",
        "phase_column",
        "study_type",
        "lead_sponsor",
        "last_update_date",
    )
    list_display_links = ("brief_title",)
    list_filter = ("overall_status", PhaseFilter, "study_type", "has_results")
    list_select_related = ("lead_sponsor",)
    changelist_defer = HEAVY_TRIAL_FIELDS
    search_fields = ("brief_title", "official_title", "acronym", "registry_ids__value")
    search_help_text = "Words of the title or acronym, or a registry id such as NCT05289856."
    autocomplete_fields = ("lead_sponsor", "collaborators")
    readonly_fields = ("created_at", "updated_at", "curation", "fact_sources")
    form = EditBaseForm  # a save writes the curator's edits, not a stale copy of an import's changes
    actions = ("merge_selected", "release_curated_facts")
    fieldsets = (
        ("Curation", {"fields": ("curation", "edit_base")}),
        (None, {"fields": ("brief_title", "official_title", "acronym", "overall_status", "why_stopped")}),
        ("Design", {"fields": ("study_type", "phases", "allocation", "intervention_model", "masking",
                               "primary_purpose", "enrollment_count", "enrollment_type", "has_results")}),
        ("Description", {"fields": ("brief_summary", "detailed_description", "keywords")}),
        ("Dates", {"fields": [
            (f"{name}_date", f"{name}_date_precision", f"{name}_date_type") for name in Trial.DATE_FIELDS
        ]}),
        ("Sponsors", {"fields": ("lead_sponsor", "collaborators", "responsible_party_type", "responsible_party_name",
                                 "responsible_party_title", "responsible_party_affiliation")}),
        ("Eligibility", {"fields": ("sex", ("minimum_age", "min_age_years"), ("maximum_age", "max_age_years"),
                                    "healthy_volunteers", "std_ages", "inclusion_criteria", "exclusion_criteria",
                                    "eligibility_criteria")}),
        ("Record", {"fields": ("created_at", "updated_at", "fact_sources")}),
    )  # fmt: skip
    inlines = (
        RegistryIdInline,
        TrialConditionInline,
        ArmInline,
        InterventionInline,
        OutcomeInline,
        PeopleInline,
        SiteInline,
        SourceRecordInline,
        TrialChangeInline,
    )

    def get_queryset(self, request):
        # The primary id (NCT first, else the first id) in the same query as the row, not one per row.
        primary_id = (
            RegistryId.objects.filter(trial=OuterRef("pk"))
            .order_by(Case(When(scheme=RegistryId.Scheme.NCT, then=Value(0)), default=Value(1)), "id")
            .values("value")[:1]
        )
        return super().get_queryset(request).annotate(primary_id=Subquery(primary_id))

    @admin.display(description="registry id", ordering="primary_id")
    def primary_registry_id_column(self, obj):
        return obj.primary_id or "-"

    @admin.display(description="phases")
    def phase_column(self, obj):
        return phase_label(obj.phases) or "-"

    def get_object(self, request, object_id, from_field=None):
        if request.method == "POST" and object_id and object_id.isascii() and object_id.isdigit():
            # A save runs in a transaction (changeform_view): lock the row before reading it, so an
            # import writing this trial now finishes first and the form is checked against its result.
            lock_trials([object_id])
        return super().get_object(request, object_id, from_field)

    def delete_model(self, request, obj):
        deleted = [obj.pk]
        super().delete_model(request, obj)
        transaction.on_commit(partial(catalogue_changed, deleted))  # cached facet counts still count it

    def delete_queryset(self, request, queryset):
        deleted = list(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        transaction.on_commit(partial(catalogue_changed, deleted))

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # An edited trial must be found by its new words at once, as after an import.
        refresh_search_index([form.instance.pk])
        if change:
            changes = _changes(form, formsets)
            if changes:
                TrialChange.objects.create(trial=form.instance, changed_by=request.user, changes=changes)
            # What the curator touched stays as the curator left it when its sources are imported again.
            parts = {part_of(formset.model) for formset in formsets if _formset_changed(formset)}
            mark_curated(form.instance, [*form.changed_data, *(p for p in parts if p)], request.user)

    @admin.display(description="curated facts")
    def curation(self, obj):
        """Which facts a curator set (kept on re-import), where sources now disagree, and
        trials that may be the same study. Two small queries: the duplicate check and nothing else."""
        if obj is None or obj.pk is None:
            return "-"
        rows = [
            format_html("<li><b>{}</b> set by {} at {}</li>", key, note.get("by") or "?", note.get("at"))
            for key, note in sorted(obj.curated_fields.items())
        ]
        rows += [
            format_html(
                "<li><b>{}</b>: the sources now say <code>{}</code> (kept: <code>{}</code>)</li>",
                row["field"],
                row["sources"],
                row["curated"],
            )
            for row in disagreements(obj)
        ]
        rows += [
            format_html("<li>Possibly the same study: {}</li>", admin_link("trial", twin.pk, twin))
            for twin in possible_duplicates(obj)[:5]
        ]
        if not rows:
            return "No curated facts: everything shown comes from the sources."
        return format_html("<ul>{}</ul>", format_html_join("", "{}", ((row,) for row in rows)))

    @admin.display(description="where each fact came from")
    def fact_sources(self, obj):
        """The trial's facts grouped by the source record that gave them (one query for the sources)."""
        if obj is None or not obj.field_sources:
            return "-"
        by_source: dict[int, list[str]] = {}
        for fact, source_id in sorted(obj.field_sources.items()):
            by_source.setdefault(source_id, []).append(fact)
        sources = SourceRecord.objects.filter(pk__in=by_source).only("pk", "origin", "format").in_bulk()
        rows = (
            (admin_link("sourcerecord", pk, sources[pk].origin if pk in sources else f"#{pk}"), ", ".join(facts))
            for pk, facts in by_source.items()
        )
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {}</li>", rows))

    # Merging deletes the trials merged away; releasing changes the trials.
    @admin.action(
        description="Merge the selected trials into one (they are the same study)", permissions=["change", "delete"]
    )
    def merge_selected(self, request, queryset):
        trials = list(queryset.order_by("created_at", "pk"))
        if len(trials) < 2:
            self.message_user(request, "Select at least two trials to merge.", messages.WARNING)
            return
        # The one with a registry id (else the oldest) stays; the others become part of it.
        keep = next((t for t in trials if t.registry_ids.exclude(scheme="LOCAL").exists()), trials[0])
        for other in trials:
            if other.pk != keep.pk:
                merge_trials(keep, other, request.user)
        self.message_user(request, f"Merged {len(trials)} trials into “{keep}” (#{keep.pk}); all sources kept.")

    @admin.action(description="Hand curated facts back to the sources", permissions=["change"])
    def release_curated_facts(self, request, queryset):
        released = 0
        for trial in queryset.exclude(curated_fields={}):
            released += len(release_curated(trial, list(trial.curated_fields), request.user))
        self.message_user(request, f"{released} curated fact(s) now follow the sources again.")


def _formset_changed(formset) -> bool:
    return any(getattr(formset, name, None) for name in ("new_objects", "changed_objects", "deleted_objects"))


def _changes(form, formsets) -> dict:
    """What a curator changed, in the change log's shape: {field: {"old": ..., "new": ...}}."""
    changes = {
        name: {"old": _jsonable(form.initial.get(name)), "new": _jsonable(form.cleaned_data.get(name))}
        for name in form.changed_data
    }
    for formset in formsets:
        counts = {
            "added": len(getattr(formset, "new_objects", ())),
            "changed": len(getattr(formset, "changed_objects", ())),
            "deleted": len(getattr(formset, "deleted_objects", ())),
        }
        if any(counts.values()):
            changes[formset.prefix] = {"old": None, "new": counts}
    return changes


def _jsonable(value):
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | models.QuerySet):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
