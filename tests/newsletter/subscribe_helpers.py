"""Builders shared by the sign-up, preferences, unsubscribe, bounce and admin tests."""

import re
import time

from django.utils import timezone

from masthead.newsletter import tokens
from masthead.newsletter.models import Newsletter, Subscriber, Subscription

ORIGIN = "http://testserver"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0"
LINK = re.compile(r"https?://\S+/newsletter/confirm/[^\s\"<>]+/")


def make_newsletters():
    """Two public newsletters and a private one."""
    daily = Newsletter.objects.create(name="Daily briefing", slug="daily", sort_order=1)
    weekly = Newsletter.objects.create(name="Weekly digest", slug="weekly", sort_order=2)
    members = Newsletter.objects.create(name="Members' letter", slug="members", is_public=False)
    return daily, weekly, members


def signup_data(email, newsletters, **overrides):
    """A sign-up form as a reader's browser submits it, rendered a minute ago."""
    data = {
        "email": email,
        "name": "",
        "newsletters": [str(newsletter.pk) for newsletter in newsletters],
        "source": "footer /news/a-story/",
        "rendered": tokens.form_timestamp_token(at=time.time() - 60),
        "website": "",
    }
    data.update(overrides)
    return data


FORM_TIMESTAMP = re.compile(rb'name="rendered" value="[^"]*"')


def answer_body(response):
    """A response's body without the fresh sign-up forms' render timestamps, which differ
    from one second to the next but say nothing about the address that was submitted."""
    return FORM_TIMESTAMP.sub(b'name="rendered" value=""', response.content)


def post_signup(client, data, origin=ORIGIN, **headers):
    """POST the sign-up form the way a browser on this site would."""
    if origin is not None:
        headers.setdefault("HTTP_ORIGIN", origin)
    headers.setdefault("HTTP_USER_AGENT", BROWSER)
    return client.post("/newsletter/subscribe/", data, **headers)


def make_subscriber(email, newsletters=(), status=Subscriber.Status.CONFIRMED, name=""):
    """A subscriber with an active subscription to each of ``newsletters``."""
    subscriber = Subscriber.objects.create(
        email=email,
        name=name,
        status=status,
        confirmed_at=timezone.now() if status == Subscriber.Status.CONFIRMED else None,
    )
    for newsletter in newsletters:
        Subscription.objects.create(subscriber=subscriber, newsletter=newsletter)
    return subscriber


def active_slugs(subscriber):
    return sorted(
        subscriber.subscriptions.filter(is_active=True).values_list("newsletter__slug", flat=True)
    )


def path_of(url):
    """The path of an absolute link, to follow it with the test client."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]
