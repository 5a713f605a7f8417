"""Admins of a trial's parts, for finding and fixing one row across all trials."""

from django.contrib import admin

from trials.admin.base import LightTrialMixin
from trials.admin.base import ModelAdmin as BaseModelAdmin
from trials.curation import lock_trials, mark_curated, part_of
from trials.models import Arm, Contact, Intervention, Outcome, RegistryId, Site, TrialCondition, TrialMeshTerm
from trials.search_index import refresh_search_index


class CuratedPartAdmin(BaseModelAdmin):
    """A part edited on its own page becomes curated on its trial: imports keep it as it is now."""

    def save_model(self, request, obj, form, change):
        lock_trials([obj.trial_id])  # an import rewriting this trial's parts waits, or is waited for
        super().save_model(request, obj, form, change)
        self._curated(request, [obj])

    def delete_model(self, request, obj):
        lock_trials([obj.trial_id])
        super().delete_model(request, obj)
        self._curated(request, [obj])

    def delete_queryset(self, request, queryset):
        lock_trials(queryset.values_list("trial_id", flat=True))
        objs = list(queryset.select_related("trial"))
        super().delete_queryset(request, queryset)
        self._curated(request, objs)

    def _curated(self, request, objs):
        for obj in objs:
            part = part_of(self.model, obj)
            if part and obj.trial_id:
                mark_curated(obj.trial, [part], request.user)
        # The trials are found by their new words and counted under their new facet values at once.
        refresh_search_index({obj.trial_id for obj in objs if obj.trial_id})


@admin.register(RegistryId)
class RegistryIdAdmin(LightTrialMixin, CuratedPartAdmin):
    list_display = ("value", "scheme", "issuer", "trial_link")
    list_filter = ("scheme",)
    search_fields = ("value", "issuer")


@admin.register(TrialCondition)
class TrialConditionAdmin(LightTrialMixin, CuratedPartAdmin):
    list_display = ("source_term", "condition", "trial_link")
    list_select_related = ("trial", "condition")
    search_fields = ("source_term", "condition__name")
    autocomplete_fields = ("condition",)


@admin.register(TrialMeshTerm)
class TrialMeshTermAdmin(LightTrialMixin, CuratedPartAdmin):
    list_display = ("term", "mesh_id", "branch", "is_ancestor", "trial_link")
    list_filter = ("branch", "is_ancestor")
    search_fields = ("term", "=mesh_id")


@admin.register(Arm)
class ArmAdmin(LightTrialMixin, CuratedPartAdmin):
    list_display = ("label", "type", "trial_link")
    list_filter = ("type",)
    search_fields = ("label",)


@admin.register(Intervention)
class InterventionAdmin(LightTrialMixin, CuratedPartAdmin):
    list_display = ("name", "type", "trial_link")
    list_filter = ("type",)
    search_fields = ("name",)
    raw_id_fields = ("trial", "arms")
    autocomplete_fields = ("drugs",)


@admin.register(Outcome)
class OutcomeAdmin(LightTrialMixin, CuratedPartAdmin):
    list_display = ("__str__", "kind", "time_frame", "trial_link")
    list_filter = ("kind",)
    search_fields = ("measure",)


class SiteContactInline(admin.TabularInline):
    model = Contact
    fk_name = "site"
    extra = 0
    fields = ("position", "name", "role", "phone", "email", "affiliation")


@admin.register(Site)
class SiteAdmin(LightTrialMixin, CuratedPartAdmin):
    list_display = ("facility", "city", "country", "status", "trial_link")
    list_filter = ("status",)
    search_fields = ("facility", "city", "country", "=country_code")
    inlines = (SiteContactInline,)

    def save_formset(self, request, form, formset, change):
        # A site's contacts belong to the site's trial and are always site contacts.
        for contact in formset.save(commit=False):
            contact.trial_id = form.instance.trial_id
            contact.kind = Contact.Kind.SITE
            contact.save()
        for contact in formset.deleted_objects:
            contact.delete()
        formset.save_m2m()
        if formset.has_changed():
            mark_curated(form.instance.trial, ["sites"], request.user)


@admin.register(Contact)
class ContactAdmin(LightTrialMixin, CuratedPartAdmin):
    list_display = ("__str__", "kind", "role", "affiliation", "trial_link")
    list_filter = ("kind", "role")
    search_fields = ("name", "email", "affiliation")
    raw_id_fields = ("trial", "site")
