"""The worker's periodic jobs for the social web: due deliveries are retried by the
scheduler, and signatures older than the replay window are forgotten."""

from datetime import timedelta

import pytest
from django.utils import timezone

from masthead.core.scheduler import periodic_jobs
from masthead.social import activities, actors, inbox, tasks
from masthead.social.models import Delivery, SeenSignature

pytestmark = pytest.mark.django_db


def test_the_scheduler_retries_due_deliveries(outlet, fediverse):
    server = fediverse()
    activity = activities.record_activity("Create", actors.outlet_actor(), {"id": "x"})
    Delivery.objects.create(
        activity=activity,
        inbox=server.shared_inbox_url,
        domain=server.address,
        next_attempt_at=timezone.now() - timedelta(seconds=1),
        attempts=2,
    )
    assert {"social.retry-deliveries", "social.forget-signatures"} <= set(periodic_jobs())
    tasks.retry_due_deliveries()
    assert Delivery.objects.get().status == "delivered"
    assert [post.activity["type"] for post in server.received] == ["Create"]


def test_signatures_older_than_twice_the_window_are_forgotten(db, settings):
    now = timezone.now()
    window = settings.SOCIAL_SIGNATURE_WINDOW_SECONDS
    SeenSignature.objects.create(digest="old", seen_at=now - timedelta(seconds=2 * window + 5))
    SeenSignature.objects.create(digest="recent", seen_at=now - timedelta(seconds=window))
    inbox.forget_old_signatures()
    assert list(SeenSignature.objects.values_list("digest", flat=True)) == ["recent"]
