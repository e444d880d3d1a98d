"""The preferences page reached by a signed link: choices, unsubscribe from all, and what the
outlet holds about the reader."""

import pytest
from django.test import Client

from masthead.newsletter import tokens
from masthead.newsletter.models import ConsentRecord, Subscriber
from tests.newsletter.subscribe_helpers import (
    BROWSER,
    active_slugs,
    make_newsletters,
    make_subscriber,
    path_of,
)


@pytest.mark.django_db
def test_preferences_page_shows_choices_and_what_we_hold(client):
    daily, _weekly, members = make_newsletters()
    reader = make_subscriber("reader@example.org", [daily, members], name="Robin Reader")
    ConsentRecord.objects.create(
        subscriber=reader,
        action=ConsentRecord.Action.OPT_IN,
        newsletters="daily",
        wording="Send me the daily.",
        wording_version="3",
        source="footer /",
    )

    response = client.get(path_of(tokens.preferences_url(reader)))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    assert "reader@example.org" in body
    assert "Robin Reader" in body
    assert "&ldquo;Send me the daily.&rdquo; (v3)" in body
    assert "Newsletters we have sent you" in body
    assert 'name="csrfmiddlewaretoken"' in body
    checked = {
        choice.data["value"].value
        for choice in response.context["form"]["newsletters"]
        if choice.data["selected"]
    }
    offered = {choice.choice_label for choice in response.context["form"]["newsletters"]}
    assert checked == {daily.pk, members.pk}
    assert offered == {"Daily briefing", "Weekly digest", "Members' letter"}


@pytest.mark.django_db
def test_switching_newsletters_takes_effect_and_is_recorded(settings):
    daily, weekly, _members = make_newsletters()
    reader = make_subscriber("reader@example.org", [daily])
    client = Client(enforce_csrf_checks=True)
    url = path_of(tokens.preferences_url(reader))
    client.get(url)

    response = client.post(
        url,
        {
            "newsletters": [str(weekly.pk)],
            "name": "New Name",
            "save": "",
            "csrfmiddlewaretoken": client.cookies["csrftoken"].value,
        },
        HTTP_USER_AGENT=BROWSER,
        REMOTE_ADDR="203.0.113.20",
    )

    assert response.status_code == 200
    assert b"Your choices are saved" in response.content
    reader.refresh_from_db()
    assert active_slugs(reader) == ["weekly"]
    assert reader.name == "New Name"
    joined = reader.consent_records.get(action=ConsentRecord.Action.CHANGE)
    assert joined.newsletters == "weekly"
    assert joined.wording.startswith("Send me the newsletters I have chosen.")
    assert joined.ip_address == "203.0.113.20"
    assert joined.user_agent == BROWSER
    assert joined.source == "preferences page"
    left = reader.consent_records.get(action=ConsentRecord.Action.OPT_OUT)
    assert left.newsletters == "daily"


@pytest.mark.django_db
def test_preferences_post_needs_the_csrf_token():
    daily, _weekly, _members = make_newsletters()
    reader = make_subscriber("reader@example.org", [daily])
    client = Client(enforce_csrf_checks=True)

    response = client.post(path_of(tokens.preferences_url(reader)), {"newsletters": []})

    assert response.status_code == 403
    assert active_slugs(reader) == ["daily"]


@pytest.mark.django_db
@pytest.mark.parametrize("button", ["unsubscribe_all", "save"])
def test_unsubscribe_from_all_and_unticking_everything_both_unsubscribe(client, button):
    daily, weekly, _members = make_newsletters()
    reader = make_subscriber("reader@example.org", [daily, weekly])

    response = client.post(path_of(tokens.preferences_url(reader)), {button: "", "name": ""})

    assert response.status_code == 200
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.UNSUBSCRIBED
    assert reader.unsubscribed_at is not None
    assert active_slugs(reader) == []
    opt_out = reader.consent_records.get(action=ConsentRecord.Action.OPT_OUT)
    assert opt_out.newsletters == "daily,weekly"


@pytest.mark.django_db
def test_an_unsubscribed_reader_can_join_again_from_their_link(client):
    daily, _weekly, _members = make_newsletters()
    reader = make_subscriber("back@example.org", status=Subscriber.Status.UNSUBSCRIBED)

    client.post(path_of(tokens.preferences_url(reader)), {"newsletters": [str(daily.pk)]})

    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.CONFIRMED
    assert active_slugs(reader) == ["daily"]


@pytest.mark.django_db
def test_a_private_newsletter_the_reader_is_not_in_cannot_be_joined(client):
    daily, _weekly, members = make_newsletters()
    reader = make_subscriber("reader@example.org", [daily])

    response = client.post(
        path_of(tokens.preferences_url(reader)), {"newsletters": [str(members.pk)]}
    )

    assert response.status_code == 400
    assert active_slugs(reader) == ["daily"]


@pytest.mark.django_db
def test_bad_preference_links_are_refused(client):
    daily, _weekly, _members = make_newsletters()
    reader = make_subscriber("reader@example.org", [daily])
    good = path_of(tokens.preferences_url(reader))
    other = make_subscriber("other@example.org", [daily])
    signature = good.rstrip("/").rsplit("/", 1)[1]

    for bad in (
        good[:-5] + "0000/",
        f"/newsletter/preferences/{other.pk}/{signature}/",
        f"/newsletter/preferences/999999/{signature}/",
    ):
        assert client.get(bad).status_code == 400
        assert client.post(bad, {"unsubscribe_all": ""}).status_code == 400
    assert client.get("/newsletter/preferences/abc/def/").status_code == 404

    reader.secret = "revoked"
    reader.save()
    response = client.get(good)
    assert response.status_code == 400
    assert b"This link does not work" in response.content
    assert active_slugs(reader) == ["daily"]
    assert Subscriber.objects.get(pk=other.pk).status == Subscriber.Status.CONFIRMED
