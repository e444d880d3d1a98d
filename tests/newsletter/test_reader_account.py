"""The newsletter's part of a reader's account: confirming a sign-up makes the subscriber one
of a Reader's, and "Your newsletters" on the account page joins and leaves newsletters with
the same consent records as the preferences page, only for the reader signed in."""

import hashlib
import secrets
from datetime import timedelta

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.utils import timezone

from masthead.audience.models import Conversion
from masthead.newsletter import consent, tokens
from masthead.newsletter.models import (
    ConsentRecord,
    NewsletterSettings,
    Subscriber,
    Subscription,
    Suppression,
)
from masthead.readers import identity, registry
from masthead.readers.models import Reader, ReaderSession
from masthead.readers.sessions import SESSION_COOKIE
from tests.newsletter.subscribe_helpers import (
    BROWSER,
    active_slugs,
    make_newsletters,
    make_subscriber,
    post_signup,
    signup_data,
)
from tests.publishing.factories import make_article, make_site_tree


def sign_in(client, reader):
    """Sign ``reader`` in on ``client`` the way sessions.sign_in does: a random key in the
    cookie, its SHA-256 in a ReaderSession."""
    key = secrets.token_urlsafe(32)
    ReaderSession.objects.create(
        reader=reader,
        key_hash=hashlib.sha256(key.encode()).hexdigest(),
        expires_at=timezone.now() + timedelta(days=1),
    )
    client.cookies[SESSION_COOKIE] = key
    return client


def make_reader(email, name=""):
    return Reader.objects.create(email=email, mailbox=identity.mailbox(email), name=name)


def join(client, newsletter, **extra):
    return client.post(
        f"/newsletter/account/{newsletter.pk}/join/",
        HTTP_USER_AGENT=BROWSER,
        REMOTE_ADDR="203.0.113.7",
        **extra,
    )


def leave(client, newsletter, **extra):
    return client.post(
        f"/newsletter/account/{newsletter.pk}/leave/",
        HTTP_USER_AGENT=BROWSER,
        REMOTE_ADDR="203.0.113.7",
        **extra,
    )


def render_section(reader, query=""):
    """The "Your newsletters" section as the account page draws it for ``reader``."""
    section = {section.name: section for section in registry.account_sections()}["newsletters"]
    request = RequestFactory().get(f"/account/{query}")
    return render_to_string(section.template, section.context(request, reader), request)


# --- Linking on confirmation -------------------------------------------------------------------


@pytest.mark.django_db
def test_confirming_a_sign_up_links_the_subscriber_to_the_reader_of_its_mailbox(
    client, django_capture_on_commit_callbacks
):
    daily, _weekly, _members = make_newsletters()
    reader = make_reader("joe@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        post_signup(client, signup_data("Joe+News@Example.org", [daily], name="Joe Bloggs"))
    subscriber = Subscriber.objects.get(email="joe+news@example.org")
    assert subscriber.reader is None  # not verified until the link is followed
    token = tokens.make_confirmation_token(
        subscriber, subscriber.consent_records.get(), [daily.pk], "Joe Bloggs"
    )

    response = client.post(f"/newsletter/confirm/{token}/")

    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.reader == reader
    assert Reader.objects.count() == 1
    reader.refresh_from_db()
    assert reader.name == "Joe Bloggs"


@pytest.mark.django_db
def test_confirming_a_new_address_makes_its_reader(client, django_capture_on_commit_callbacks):
    daily, _weekly, _members = make_newsletters()
    with django_capture_on_commit_callbacks(execute=True):
        post_signup(client, signup_data("new@example.org", [daily]))
    subscriber = Subscriber.objects.get(email="new@example.org")
    token = tokens.make_confirmation_token(subscriber, subscriber.consent_records.get(), [daily.pk])

    client.post(f"/newsletter/confirm/{token}/")

    reader = Reader.objects.get()
    assert (reader.email, reader.mailbox) == ("new@example.org", "new@example.org")
    assert list(reader.subscribers.all()) == [subscriber]


@pytest.mark.django_db
def test_verifying_an_address_links_every_subscriber_row_of_its_mailbox_and_no_other():
    daily, _weekly, _members = make_newsletters()
    plain = make_subscriber("j.smith@gmail.com", [daily])
    tagged = make_subscriber("jsmith+news@googlemail.com", [daily])
    other = make_subscriber("jsmithers@gmail.com", [daily])
    elsewhere = make_subscriber("jsmith@example.org", [daily])

    hyphenated = make_subscriber("mary-jane.o'neil+x@ex-ample.co.uk", [daily])
    lookalike = make_subscriber("mary-janeXo'neil@ex-ample.co.uk", [daily])

    reader = identity.verified("JSmith@gmail.com")
    other_reader = identity.verified("Mary-Jane.O'Neil@ex-ample.co.uk")

    assert set(reader.subscribers.all()) == {plain, tagged}
    assert set(other_reader.subscribers.all()) == {hyphenated}
    lookalike.refresh_from_db()
    assert lookalike.reader is None
    other.refresh_from_db()
    elsewhere.refresh_from_db()
    assert other.reader is None and elsewhere.reader is None


# --- The section -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_section_shows_every_public_newsletter_and_whether_the_reader_receives_it():
    daily, weekly, members = make_newsletters()
    reader = make_reader("ann@example.org")
    own = make_subscriber("ann@example.org", [daily, members])
    Subscriber.objects.filter(pk=own.pk).update(reader=reader)
    stranger_only = make_subscriber("bob@example.org", [weekly])

    html = render_section(reader)

    assert "Leave Daily briefing" in html
    assert "Join Weekly digest" in html
    # A private newsletter they belong to is offered so they can leave it...
    assert "Leave Members&#x27; letter" in html
    # ...and one they do not belong to is not offered at all.
    assert "Members&#x27; letter" not in render_section(make_reader("cat@example.org"))
    assert stranger_only.email not in html
    assert f'action="/newsletter/account/{weekly.pk}/join/"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert NewsletterSettings.for_request(RequestFactory().get("/")).consent_wording in html


@pytest.mark.django_db
def test_a_signed_in_reader_sees_their_newsletters_on_the_account_page(client):
    daily, _weekly, _members = make_newsletters()
    reader = make_reader("ann@example.org")
    subscriber = make_subscriber("ann@example.org", [daily])
    Subscriber.objects.filter(pk=subscriber.pk).update(reader=reader)
    sign_in(client, reader)

    response = client.get("/account/?newsletters=left&newsletter=weekly")

    assert response.status_code == 200
    assert b'id="account-newsletters"' in response.content
    assert b"Leave Daily briefing" in response.content
    assert b"Join Weekly digest" in response.content
    assert b"You have left Weekly digest." in response.content


@pytest.mark.django_db
def test_join_from_the_account_page_records_consent_and_sends_no_email(client, settings):
    daily, weekly, _members = make_newsletters()
    reader = make_reader("ann@example.org")
    subscriber = make_subscriber("ann@example.org", [daily])
    Subscriber.objects.filter(pk=subscriber.pk).update(reader=reader)
    wording = NewsletterSettings.for_request(RequestFactory().get("/"))
    wording.consent_wording = "Send me what I chose; v7 wording."
    wording.consent_version = "7"
    wording.save()
    sign_in(client, reader)

    response = join(client, weekly)

    assert response.status_code == 302
    assert (
        response["Location"] == "/account/?newsletters=joined&newsletter=weekly#account-newsletters"
    )
    assert active_slugs(subscriber) == ["daily", "weekly"]
    record = subscriber.consent_records.get()
    assert record.action == ConsentRecord.Action.CHANGE
    assert record.newsletters == "weekly"
    assert (record.wording, record.wording_version) == ("Send me what I chose; v7 wording.", "7")
    assert record.source == "account page"
    assert (record.ip_address, record.user_agent) == ("203.0.113.7", BROWSER)
    assert record.confirmed_at is not None
    assert mail.outbox == []
    assert "You have joined Weekly digest" in render_section(
        reader, "?newsletters=joined&newsletter=weekly"
    )

    # Joining again changes and records nothing.
    join(client, weekly)
    assert subscriber.consent_records.count() == 1


@pytest.mark.django_db
def test_joining_from_the_account_page_is_a_sign_up_attributed_to_the_article(client):
    _daily, weekly, _members = make_newsletters()
    section = make_site_tree().section
    article = make_article(section, title="The ferry timetable, explained")
    reader = make_reader("kit@example.org")
    sign_in(client, reader)

    # The account page's join form carries the script's fields, like every sign-up form.
    join(client, weekly, data={"mh_page": "/account/", "mh_from": article.url})

    conversion = Conversion.objects.get()
    assert conversion.kind == Conversion.Kind.SIGNUP
    assert conversion.article_id == article.pk
    assert conversion.acted_path == "/account/"
    assert conversion.completed_at is not None
    # Joining what one already receives is no new sign-up.
    join(client, weekly, data={"mh_page": "/account/", "mh_from": article.url})
    assert Conversion.objects.count() == 1


@pytest.mark.django_db
def test_a_reader_with_no_subscriber_row_gets_a_confirmed_linked_one_on_joining(client):
    daily, _weekly, _members = make_newsletters()
    reader = make_reader("new@example.org", name="New Reader")
    sign_in(client, reader)

    join(client, daily)

    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.name) == ("new@example.org", "New Reader")
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.confirmed_at is not None
    assert subscriber.reader == reader
    assert active_slugs(subscriber) == ["daily"]
    assert subscriber.consent_records.get().action == ConsentRecord.Action.CHANGE


@pytest.mark.django_db
def test_an_unsubscribed_reader_joining_again_is_confirmed_again(client):
    daily, _weekly, _members = make_newsletters()
    reader = make_reader("back@example.org")
    subscriber = make_subscriber("back@example.org", [daily])
    Subscriber.objects.filter(pk=subscriber.pk).update(reader=reader)
    consent.unsubscribe_all(subscriber, consent.ConsentContext(source="test"))
    sign_in(client, reader)

    join(client, daily)

    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.unsubscribed_at is None
    assert active_slugs(subscriber) == ["daily"]


@pytest.mark.django_db
def test_leave_records_an_opt_out_and_leaving_the_last_unsubscribes(client):
    daily, weekly, _members = make_newsletters()
    reader = make_reader("ann@example.org")
    subscriber = make_subscriber("ann@example.org", [daily, weekly])
    Subscriber.objects.filter(pk=subscriber.pk).update(reader=reader)
    sign_in(client, reader)

    response = leave(client, daily)

    assert response["Location"] == "/account/?newsletters=left&newsletter=daily#account-newsletters"
    assert active_slugs(subscriber) == ["weekly"]
    record = subscriber.consent_records.get()
    assert (record.action, record.newsletters, record.source) == (
        ConsentRecord.Action.OPT_OUT,
        "daily",
        "account page",
    )
    assert record.ip_address == "203.0.113.7"
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED

    leave(client, weekly)

    subscriber.refresh_from_db()
    assert active_slugs(subscriber) == []
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.consent_records.filter(action=ConsentRecord.Action.OPT_OUT).count() == 2
    assert "Join Daily briefing" in render_section(reader)


@pytest.mark.django_db
def test_leave_applies_to_every_subscriber_row_of_the_reader(client):
    daily, weekly, _members = make_newsletters()
    reader = make_reader("ann@example.org")
    own = make_subscriber("ann@example.org", [daily, weekly])
    tagged = make_subscriber("ann+news@example.org", [daily])
    Subscriber.objects.update(reader=reader)
    sign_in(client, reader)

    leave(client, daily)

    assert active_slugs(own) == ["weekly"]
    assert active_slugs(tagged) == []


@pytest.mark.django_db
def test_a_suppressed_address_is_refused_with_a_clear_message(client):
    daily, _weekly, _members = make_newsletters()
    reader = make_reader("bounced@example.org")
    subscriber = make_subscriber("bounced@example.org", [])
    Subscriber.objects.filter(pk=subscriber.pk).update(reader=reader)
    consent.suppress_address("bounced@example.org", Suppression.Reason.HARD_BOUNCE, "550")
    records_before = subscriber.consent_records.count()
    sign_in(client, reader)

    response = join(client, daily)

    assert (
        response["Location"]
        == "/account/?newsletters=suppressed&newsletter=daily#account-newsletters"
    )
    assert active_slugs(subscriber) == []
    assert subscriber.consent_records.count() == records_before
    html = render_section(reader, "?newsletters=suppressed&newsletter=daily")
    assert "We cannot send newsletters to bounced@example.org: hard bounce." in html
    assert "Join Daily briefing" not in html


@pytest.mark.django_db
def test_private_newsletters_cannot_be_joined_from_the_account_page(client):
    _daily, _weekly, members = make_newsletters()
    reader = make_reader("ann@example.org")
    sign_in(client, reader)

    assert join(client, members).status_code == 404
    assert not Subscription.objects.exists()


# --- Only the reader signed in, only with the CSRF token ---------------------------------------


@pytest.mark.django_db
def test_another_reader_cannot_change_a_readers_newsletters(client):
    daily, _weekly, _members = make_newsletters()
    ann = make_reader("ann@example.org")
    subscriber = make_subscriber("ann@example.org", [daily])
    Subscriber.objects.filter(pk=subscriber.pk).update(reader=ann)
    bob = make_reader("bob@example.org")
    sign_in(client, bob)

    leave(client, daily)

    assert active_slugs(subscriber) == ["daily"]
    assert not subscriber.consent_records.exists()
    assert "Join Daily briefing" in render_section(bob)


@pytest.mark.django_db
def test_without_signing_in_nothing_changes_and_the_reader_is_sent_to_sign_in(client):
    daily, _weekly, _members = make_newsletters()
    ann = make_reader("ann@example.org")
    subscriber = make_subscriber("ann@example.org", [daily])
    Subscriber.objects.filter(pk=subscriber.pk).update(reader=ann)
    client.cookies[SESSION_COOKIE] = "not-a-session-key"

    response = leave(client, daily)

    assert response.status_code == 302
    assert response["Location"].startswith("/account/sign-in/?next=")
    assert active_slugs(subscriber) == ["daily"]


@pytest.mark.django_db
def test_an_expired_session_changes_nothing(client):
    daily, _weekly, _members = make_newsletters()
    ann = make_reader("ann@example.org")
    subscriber = make_subscriber("ann@example.org", [daily])
    Subscriber.objects.filter(pk=subscriber.pk).update(reader=ann)
    sign_in(client, ann)
    ReaderSession.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    assert leave(client, daily).status_code == 302
    assert active_slugs(subscriber) == ["daily"]


@pytest.mark.django_db
def test_a_post_without_the_csrf_token_is_refused():
    daily, weekly, _members = make_newsletters()
    ann = make_reader("ann@example.org")
    subscriber = make_subscriber("ann@example.org", [daily])
    Subscriber.objects.filter(pk=subscriber.pk).update(reader=ann)
    browser = sign_in(Client(enforce_csrf_checks=True), ann)

    assert leave(browser, daily).status_code == 403
    assert join(browser, weekly).status_code == 403
    assert active_slugs(subscriber) == ["daily"]

    secret = secrets.token_hex(16)  # an unmasked 32-character token, as in the cookie
    browser.cookies["csrftoken"] = secret
    assert leave(browser, daily, data={"csrfmiddlewaretoken": secret}).status_code == 302
    assert active_slugs(subscriber) == []


@pytest.mark.django_db
def test_a_get_changes_nothing_and_goes_to_the_account_page(client):
    daily, _weekly, _members = make_newsletters()
    ann = make_reader("ann@example.org")
    subscriber = make_subscriber("ann@example.org", [daily])
    Subscriber.objects.filter(pk=subscriber.pk).update(reader=ann)
    sign_in(client, ann)

    response = client.get(f"/newsletter/account/{daily.pk}/leave/")

    assert response.status_code == 302
    assert response["Location"] == "/account/#account-newsletters"
    assert active_slugs(subscriber) == ["daily"]


@pytest.mark.django_db
def test_account_answers_are_private(client):
    daily, _weekly, _members = make_newsletters()
    sign_in(client, make_reader("ann@example.org"))

    response = join(client, daily)

    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
