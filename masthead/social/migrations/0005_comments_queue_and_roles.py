"""Comments (issue 15, part 3): every fediverse reply received before comments existed joins
the moderation queue as a comment, with the status an editor had given it; and the newsroom
gets its moderators.

Editors and Administrators moderate comments, open and close them, and keep the word list
and the legally sensitive marks. A new "Comment moderators" group reaches the admin for the
moderation queue and the word list only. As in 0003, social's permissions are created here
first; running it again adds only what is missing.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from masthead.publishing.roles import ADMINISTRATORS, EDITORS
from masthead.social.comment_text import one_line, text_of_html

MODERATORS = "Comment moderators"

# What the replies' own status became.
STATUSES = {
    "queued": ("pending", "new"),
    "approved": ("approved", ""),
    "hidden": ("hidden", "moderator"),
}

MODERATION_PERMISSIONS = (
    "moderate_comment",
    "add_wordrule",
    "change_wordrule",
    "delete_wordrule",
    "view_wordrule",
)
EDITORIAL_PERMISSIONS = (
    *MODERATION_PERMISSIONS,
    "add_conversation",
    "change_conversation",
    "view_conversation",
    "add_legallysensitive",
    "change_legallysensitive",
    "delete_legallysensitive",
    "view_legallysensitive",
)


def replies_to_comments(apps, schema_editor):
    Reply = apps.get_model("social", "Reply")
    Comment = apps.get_model("social", "Comment")
    Commenter = apps.get_model("social", "Commenter")
    for reply in Reply.objects.select_related("remote_actor").order_by("pk").iterator():
        actor = reply.remote_actor
        commenter, _created = Commenter.objects.get_or_create(actor_uri=actor.uri)
        status, reason = STATUSES.get(reply.status, STATUSES["queued"])
        if status == "approved" and commenter.standing == "new":
            Commenter.objects.filter(pk=commenter.pk).update(standing="trusted")
        name = actor.name or (
            f"@{actor.preferred_username}@{actor.domain}" if actor.preferred_username else actor.uri
        )
        Comment.objects.create(
            article_id=reply.article_id,
            commenter=commenter,
            reply=reply,
            author_name=one_line(name, 100),
            body=text_of_html(reply.content),
            status=status,
            reason=reason,
            published_at=reply.received_at if status == "approved" else None,
        )


def grant_moderation_permissions(apps, schema_editor):
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

    def social(codenames):
        return Permission.objects.filter(content_type__app_label="social", codename__in=codenames)

    for name in (EDITORS, ADMINISTRATORS):
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(*social(EDITORIAL_PERMISSIONS))
    moderators, _created = Group.objects.get_or_create(name=MODERATORS)
    moderators.permissions.add(
        *social(MODERATION_PERMISSIONS),
        *Permission.objects.filter(content_type__app_label="wagtailadmin", codename="access_admin"),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("social", "0004_comments"),
        ("publishing", "0003_editorial_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(replies_to_comments, migrations.RunPython.noop),
        migrations.RunPython(grant_moderation_permissions, migrations.RunPython.noop),
    ]
