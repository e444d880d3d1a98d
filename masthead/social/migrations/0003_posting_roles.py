"""Let the newsroom's Editors and Administrators set up the outlet's social network accounts
and see the posts made to them (the social web's other screens stay with administrators).

The groups come from publishing's roles migration; permissions are normally created only
after the last migration, so this creates social's own first. Running it again adds only
what is missing.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from masthead.publishing.roles import ADMINISTRATORS, EDITORS

POSTING_PERMISSIONS = (
    "add_networkaccount",
    "change_networkaccount",
    "delete_networkaccount",
    "view_networkaccount",
    "view_networkpost",
)


def grant_posting_permissions(apps, schema_editor):
    app_config = apps.get_app_config("social")
    # Historical app configs have no models module, which create_permissions checks for.
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = models_module or True
    try:
        create_permissions(app_config, verbosity=0, apps=apps)
    finally:
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="social", codename__in=POSTING_PERMISSIONS
    )
    for name in (EDITORS, ADMINISTRATORS):
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("social", "0002_networkaccount_articlepostchoice_networkpost"),
        ("publishing", "0003_editorial_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_posting_permissions, migrations.RunPython.noop)]
