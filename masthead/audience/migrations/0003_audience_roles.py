"""Let the newsroom's Editors and Administrators see the Audience area: every article's
figures, money included (``audience.view_audience``). Contributors are not given it: they
see their own articles' figures only.

The groups come from publishing's roles migration; permissions are normally created only
after the last migration, so this creates audience's own first. Running it again adds only
what is missing.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from masthead.publishing.roles import ADMINISTRATORS, EDITORS

AUDIENCE_ROLES = (EDITORS, ADMINISTRATORS)


def grant_audience_permission(apps, schema_editor):
    app_config = apps.get_app_config("audience")
    # Historical app configs have no models module, which create_permissions checks for.
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = models_module or True
    try:
        create_permissions(app_config, verbosity=0, apps=apps)
    finally:
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(
        content_type__app_label="audience", codename="view_audience"
    )
    for name in AUDIENCE_ROLES:
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("audience", "0002_view_audience"),
        ("publishing", "0003_editorial_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_audience_permission, migrations.RunPython.noop)]
