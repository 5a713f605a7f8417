"""Admins of the normalized vocabularies: conditions, drugs, drug classes, organizations."""

from django.contrib import admin
from django.db.models import Count

from trials.admin.base import ModelAdmin
from trials.models import Condition, Drug, DrugClass, Organization


@admin.register(Condition)
class ConditionAdmin(ModelAdmin):
    list_display = ("name", "mesh_id", "key", "trial_count")
    search_fields = ("name", "=mesh_id")
    readonly_fields = ("key",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(trial_count=Count("trial_conditions"))

    def save_model(self, request, obj, form, change):
        # The loader's lookup key; set once, so renaming keeps the trials that point here.
        if not obj.key:
            obj.key = obj.name.casefold()[:500]
        super().save_model(request, obj, form, change)

    @admin.display(description="trials", ordering="trial_count")
    def trial_count(self, obj):
        return obj.trial_count


@admin.register(DrugClass)
class DrugClassAdmin(ModelAdmin):
    list_display = ("name", "parent", "mesh_id")
    list_select_related = ("parent",)
    search_fields = ("name", "=mesh_id")
    autocomplete_fields = ("parent",)


@admin.register(Drug)
class DrugAdmin(ModelAdmin):
    list_display = ("name", "mesh_id", "class_names")
    list_filter = ("classes",)
    search_fields = ("name", "=mesh_id")
    filter_horizontal = ("classes",)
    readonly_fields = ("key",)

    def get_queryset(self, request):
        # One query for the classes of a whole page of drugs.
        return super().get_queryset(request).prefetch_related("classes")

    def save_model(self, request, obj, form, change):
        # The loader's lookup key; set once, so renaming keeps the interventions that point here.
        if not obj.key:
            obj.key = obj.name.casefold()[:300]
        super().save_model(request, obj, form, change)

    @admin.display(description="classes")
    def class_names(self, obj):
        return ", ".join(c.name for c in obj.classes.all()) or "-"


@admin.register(Organization)
class OrganizationAdmin(ModelAdmin):
    list_display = ("name", "agency_class")
    list_filter = ("agency_class",)
    search_fields = ("name",)
