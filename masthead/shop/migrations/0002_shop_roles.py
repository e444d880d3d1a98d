"""Let the newsroom's Editors and Administrators run the shop: every permission on the
shop's models (catalogue, shipping, discounts, orders and the shop settings).

The groups come from publishing's roles migration; permissions are normally created only
after the last migration, so this creates the shop's own first. Running it again adds only
what is missing.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from masthead.publishing.roles import ADMINISTRATORS, EDITORS

SHOP_ROLES = (EDITORS, ADMINISTRATORS)


def grant_shop_permissions(apps, schema_editor):
    app_config = apps.get_app_config("shop")
    # Historical app configs have no models module, which create_permissions checks for.
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = models_module or True
    try:
        create_permissions(app_config, verbosity=0, apps=apps)
    finally:
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = list(Permission.objects.filter(content_type__app_label="shop"))
    for name in SHOP_ROLES:
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0001_initial"),
        ("publishing", "0003_editorial_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_shop_permissions, migrations.RunPython.noop)]
