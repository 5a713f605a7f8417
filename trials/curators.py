"""The Curators group: may add, change, delete and view everything in the curators' admin (trials,
their parts, vocabularies, imports, provenance, background tasks) and nothing of ``auth``, so a
curator cannot manage users or give themselves more rights.

``sync_curator_permissions`` is idempotent: it creates missing permissions and sets the group's
to exactly those of ``CURATOR_APPS``. Migration 0007 calls it; a model added later gets its
permissions with a migration that calls it again (or ``manage.py sync_curator_permissions``).
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions

CURATORS = "Curators"
CURATOR_APPS = ("trials", "django_tasks_database")  # the second: django_tasks_db's label


def sync_curator_permissions(apps=global_apps, using: str = "default"):
    """The Curators group (created if missing) with every permission of ``CURATOR_APPS``, only those.

    ``apps`` is a migration's historical registry or the project's; permissions and content types
    are created here because on a fresh database they exist only after the last migration.
    """
    for label in CURATOR_APPS:
        # The project's app config (it has a models module); create_permissions reads the models from ``apps``.
        create_permissions(global_apps.get_app_config(label), verbosity=0, using=using, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(using).get_or_create(name=CURATORS)
    group.permissions.set(Permission.objects.using(using).filter(content_type__app_label__in=CURATOR_APPS))
    return group
