"""An archive brought in (an import from WordPress, Ghost or Substack, or a restore) is old
news: its articles are neither federated to the outlet's followers nor posted to its
social network accounts, while an article published afterwards still is."""

import pytest

from masthead.social.models import Activity, NetworkAccount, NetworkPost
from masthead.transfer.importing import run_import
from tests.publishing.factories import make_article
from tests.social.test_delivery import add_follower
from tests.transfer.conftest import WORDPRESS, wp_uploads  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def test_imported_articles_are_not_announced_and_new_ones_still_are(
    outlet,
    fediverse,
    wp_uploads,  # noqa: F811 (the fixture imported above)
    django_capture_on_commit_callbacks,
):
    server = fediverse()
    add_follower(server, "reader")
    NetworkAccount.objects.create(
        network="mastodon", name="Mastodon", server_url=server.base, secret="token"
    )

    with django_capture_on_commit_callbacks(execute=True):
        report = run_import(
            "wordpress", [WORDPRESS / "site.xml"], options={"uploads_dir": str(wp_uploads)}
        )

    assert report.as_dict()["counts"]["post"]["created"] >= 2
    assert Activity.objects.count() == 0
    assert NetworkPost.objects.count() == 0
    assert server.received == []

    with django_capture_on_commit_callbacks(execute=True):
        fresh = make_article(outlet.section, title="Harbour wall to be rebuilt")
    assert Activity.objects.filter(article=fresh, kind="Create").count() == 1
    assert NetworkPost.objects.filter(article=fresh).count() == 1
    assert len(server.received) >= 1
