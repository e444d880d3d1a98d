"""The "Imported content" site setting (archived comments hidden by default), and who may do
what with imports: Administrators may start imports and see their runs
(``transfer.add_importrun``, ``transfer.view_importrun``); Editors and Administrators may
read archived comments and change the setting. Permissions are normally created only after
the last migration, so this creates transfer's own first. Running it again adds only what is
missing.
"""

import django.db.models.deletion
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

from masthead.publishing.roles import ADMINISTRATORS, EDITORS

GRANTS = {
    EDITORS: ("view_archivedcomment", "change_transfersettings"),
    ADMINISTRATORS: (
        "view_archivedcomment",
        "change_transfersettings",
        "add_importrun",
        "view_importrun",
    ),
}


def grant_transfer_permissions(apps, schema_editor):
    app_config = apps.get_app_config("transfer")
    # Historical app configs have no models module, which create_permissions checks for.
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = models_module or True
    try:
        create_permissions(app_config, verbosity=0, apps=apps)
    finally:
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="transfer", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("transfer", "0001_initial"),
        ("wagtailcore", "0098_apitoken"),
        ("publishing", "0003_editorial_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="TransferSettings",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "show_archived_comments",
                    models.BooleanField(
                        default=False,
                        help_text=(
                            "Show the comments imported from the old site, read-only, at the "
                            "end of the articles they were left on."
                        ),
                        verbose_name="show archived comments",
                    ),
                ),
                (
                    "site",
                    models.OneToOneField(
                        editable=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        to="wagtailcore.site",
                    ),
                ),
            ],
            options={"verbose_name": "imported content"},
        ),
        migrations.RunPython(grant_transfer_permissions, migrations.RunPython.noop),
    ]
