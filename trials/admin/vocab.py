"""Admins of the normalized vocabularies: conditions, drugs, drug classes, organizations.

The drug and condition lists are also the curators' queues: "needs a class" lists drugs the
vocabulary could not classify (or classified from the INN stem only), "not mapped to MeSH" lists
conditions the vocabulary could not map; both ordered by how many trials they touch, largest
first. Saving a drug or mapping a condition applies to its trials at once (``vocab/curation.py``).
"""

from django.contrib import admin
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.db import transaction
from django.db.models import Count, Q

from trials.admin.base import ModelAdmin
from trials.models import Condition, Drug, DrugClass, Organization, Trial
from trials.search_index import catalogue_changed, refresh_search_index
from trials.vocab.curation import condition_mapped, drug_curated
from trials.vocab.keys import name_key


class QueueChangeList(ChangeList):
    """Lists that are curators' queues: what touches the most trials first, unless a column is sorted."""

    def get_ordering(self, request, queryset):
        if ORDER_VAR in self.params:
            return super().get_ordering(request, queryset)
        return ["-trial_count", "name", "pk"]


class MappedFilter(admin.SimpleListFilter):
    title = "MeSH mapping"
    parameter_name = "mapped"

    def lookups(self, request, model_admin):
        return [("no", "Not mapped to MeSH (queue)"), ("yes", "Mapped")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(mesh_id="")
        if self.value() == "yes":
            return queryset.exclude(mesh_id="")
        return queryset


@admin.register(Condition)
class ConditionAdmin(ModelAdmin):
    list_display = ("name", "mesh_id", "trial_count", "mapped_by_curator")
    list_filter = (MappedFilter, "mapped_by_curator")
    search_fields = ("name", "=mesh_id")
    readonly_fields = ("key", "aliases", "search_text")
    fields = ("name", "mesh_id", "key", "aliases", "search_text")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(trial_count=Count("trial_conditions"))

    def get_changelist(self, request, **kwargs):
        return QueueChangeList

    def save_model(self, request, obj, form, change):
        # The loader's lookup key; set once, so renaming keeps the trials that point here.
        if not obj.key:
            obj.key = name_key(obj.name)[:500]
        mesh_id = obj.mesh_id
        if change and "mesh_id" in form.changed_data and mesh_id:
            obj.mesh_id = form.initial.get("mesh_id") or ""
            super().save_model(request, obj, form, change)
            condition_mapped(obj, mesh_id)
            return
        super().save_model(request, obj, form, change)

    @admin.display(description="trials", ordering="trial_count")
    def trial_count(self, obj):
        return obj.trial_count


@admin.register(DrugClass)
class DrugClassAdmin(ModelAdmin):
    list_display = ("name", "key", "parent", "source", "mesh_id")
    list_select_related = ("parent",)
    list_filter = ("source",)
    search_fields = ("name", "key", "=mesh_id")
    autocomplete_fields = ("parent",)

    def save_model(self, request, obj, form, change):
        if not obj.key:
            obj.key = name_key(obj.name).replace(" ", "_")[:200]
        super().save_model(request, obj, form, change)
        if change and "parent" in form.changed_data:
            # Trials under the class now sit under its new parent in the drug class facet.
            refresh_search_index(
                Trial.objects.filter(facet_drug_classes__contains=[obj.key]).values_list("pk", flat=True)
            )
        elif change and "name" in form.changed_data:
            # Searches keep class names per catalogue version (trials.catalogue_names): a new one.
            transaction.on_commit(catalogue_changed)


class ClassifiedFilter(admin.SimpleListFilter):
    title = "classification"
    parameter_name = "classified"

    def lookups(self, request, model_admin):
        return [
            ("queue", "Needs a class (queue)"),
            ("provisional", "Class from the INN stem, to review"),
            ("unresolved", "Not in the vocabulary"),
            ("code", "Development codes no vocabulary lists"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "queue":
            return queryset.filter(Q(classes__isnull=True) | Q(needs_review=True)).distinct()
        if self.value() == "provisional":
            return queryset.filter(needs_review=True)
        if self.value() == "unresolved":
            return queryset.filter(via=Drug.Resolution.UNRESOLVED)
        if self.value() == "code":
            return queryset.filter(via=Drug.Resolution.CODE)
        return queryset


@admin.register(Drug)
class DrugAdmin(ModelAdmin):
    list_display = ("name", "via", "needs_review", "class_names", "trial_count", "mesh_id")
    list_filter = (ClassifiedFilter, "via")
    search_fields = ("name", "=mesh_id", "synonyms")
    filter_horizontal = ("classes",)
    readonly_fields = ("key", "via", "search_text")
    fields = ("name", "synonyms", "classes", "mesh_id", "needs_review", "via", "key", "search_text")

    def get_queryset(self, request):
        # Trials per drug for the queue's order, and one query for a page's classes.
        queryset = super().get_queryset(request)
        return queryset.annotate(trial_count=Count("interventions__trial", distinct=True)).prefetch_related("classes")

    def get_changelist(self, request, **kwargs):
        return QueueChangeList

    def save_model(self, request, obj, form, change):
        # The loader's lookup key; set once, so renaming keeps the interventions that point here.
        if not obj.key:
            obj.key = name_key(obj.name)[:300]
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The drug is now the curator's; its trials are found by its new names and classes at once.
        drug_curated(form.instance)

    @admin.display(description="classes")
    def class_names(self, obj):
        return ", ".join(c.name for c in obj.classes.all()) or "-"

    @admin.display(description="trials", ordering="trial_count")
    def trial_count(self, obj):
        return obj.trial_count


@admin.register(Organization)
class OrganizationAdmin(ModelAdmin):
    list_display = ("name", "agency_class")
    list_filter = ("agency_class",)
    search_fields = ("name",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "agency_class" in form.changed_data:  # the sponsor type facet of its trials
            refresh_search_index(obj.sponsored_trials.values_list("pk", flat=True))
