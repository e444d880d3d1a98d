"""The fediverse replies received before comments existed join the moderation queue as
comments, with the status an editor had given them (0005), and the newsroom's editors and
the new comment moderators get their permissions."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from masthead.publishing.roles import EDITORS
from masthead.social.models import Comment, Commenter

BEFORE = [("social", "0003_posting_roles")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_replies_become_comments_with_their_status(outlet):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    OldActor = old_apps.get_model("social", "RemoteActor")
    OldReply = old_apps.get_model("social", "Reply")
    alice = OldActor.objects.create(
        uri="https://town.example/users/alice",
        domain="town.example",
        preferred_username="alice",
        name="",
        inbox="https://town.example/users/alice/inbox",
        key_id="https://town.example/users/alice#main-key",
        public_key_pem="-",
        fetched_at=timezone.now(),
    )
    for number, status in enumerate(["queued", "approved", "hidden"]):
        OldReply.objects.create(
            article_id=outlet.article.pk,
            remote_actor=alice,
            object_id=f"https://town.example/notes/{number}",
            content=f"<p>Reply {number} <script>x()</script></p>",
            status=status,
        )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    migrated = list(Comment.objects.order_by("reply__object_id"))
    assert [(c.status, c.reason, c.body) for c in migrated] == [
        ("pending", "new", "Reply 0"),
        ("approved", "", "Reply 1"),
        ("hidden", "moderator", "Reply 2"),
    ]
    assert {c.author_name for c in migrated} == {"@alice@town.example"}
    assert migrated[1].published_at is not None
    assert Commenter.objects.get().standing == "trusted"
    editors = Group.objects.get(name=EDITORS)
    assert editors.permissions.filter(codename="moderate_comment").exists()
    moderators = Group.objects.get(name="Comment moderators")
    assert set(moderators.permissions.values_list("codename", flat=True)) >= {
        "moderate_comment",
        "access_admin",
        "change_wordrule",
    }
    assert not moderators.permissions.filter(codename="change_conversation").exists()
