"""The Curators group and its permissions (trials.curators); re-runnable, as is the command
``manage.py sync_curator_permissions``."""

from django.db import migrations


def sync(apps, schema_editor):
    from trials.curators import sync_curator_permissions

    sync_curator_permissions(apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("trials", "0006_drug_resolved_by_code"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
