"""Sign-up from a cached page: double opt-in over real SMTP, consent evidence, and the
endpoint's own defences (origin, honeypot, timing, rate limits, enumeration-proof answer)."""

import re
import time

import pytest
from django.core import mail, signing
from django.core.cache import cache

from masthead.newsletter import tokens
from masthead.newsletter.models import ConsentRecord, Subscriber, Suppression
from tests.newsletter.subscribe_helpers import (
    BROWSER,
    LINK,
    active_slugs,
    answer_body,
    make_newsletters,
    make_subscriber,
    path_of,
    post_signup,
    signup_data,
)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit counters live in the cache, which outlives a single test.
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_double_opt_in_end_to_end(
    client, smtp_mailbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "http://testserver"
    settings.NEWSLETTER_TRANSACTIONAL_FROM_EMAIL = "Riverside Post <hello@riverside.example>"
    _daily, weekly, _members = make_newsletters()

    with django_capture_on_commit_callbacks(execute=True):
        response = post_signup(
            client,
            signup_data("Reader@Example.org ", [weekly], name="Sam Reader"),
            REMOTE_ADDR="203.0.113.9",
        )

    assert response.status_code == 200
    assert b"Check your inbox" in response.content
    subscriber = Subscriber.objects.get(email="reader@example.org")
    assert subscriber.status == Subscriber.Status.PENDING
    assert active_slugs(subscriber) == []

    [received] = smtp_mailbox.wait_for(1)
    message = received.message
    assert received.rcpt_tos == ["reader@example.org"]
    assert message["To"] == "reader@example.org"
    assert message["From"] == "Riverside Post <hello@riverside.example>"
    assert message["Subject"] == "Confirm your subscription to Masthead"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["List-Unsubscribe"] is None
    text, html = received.text(), received.html()
    [link] = LINK.findall(text)
    assert link in html
    assert "Weekly digest" in text and "Weekly digest" in html
    assert "Daily briefing" not in text
    assert "7 days" in text

    page = client.get(path_of(link))
    assert page.status_code == 200
    assert b"Confirm my subscription" in page.content
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING

    confirmed = client.post(path_of(link), HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="198.51.100.4")
    assert confirmed.status_code == 200
    assert b"You are subscribed" in confirmed.content
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.CONFIRMED
    assert subscriber.confirmed_at is not None
    assert subscriber.name == "Sam Reader"
    assert active_slugs(subscriber) == ["weekly"]

    opt_in = subscriber.consent_records.get(action=ConsentRecord.Action.OPT_IN)
    assert opt_in.wording == (
        "Send me the newsletters I have chosen. I can unsubscribe at any time, "
        "and my address will never be shared."
    )
    assert opt_in.wording_version == "1"
    assert opt_in.newsletters == "weekly"
    assert opt_in.source == "footer /news/a-story/"
    assert opt_in.ip_address == "203.0.113.9"
    assert opt_in.user_agent == BROWSER
    assert opt_in.confirmed_at == subscriber.confirmed_at
    confirm = subscriber.consent_records.get(action=ConsentRecord.Action.CONFIRM)
    assert confirm.ip_address == "198.51.100.4"
    assert confirm.confirmed_at == subscriber.confirmed_at
    assert confirm.wording == opt_in.wording


@pytest.mark.django_db
def test_following_the_link_twice_changes_nothing_more(client, django_capture_on_commit_callbacks):
    daily, _weekly, _members = make_newsletters()
    with django_capture_on_commit_callbacks(execute=True):
        post_signup(client, signup_data("twice@example.org", [daily]))
    link = path_of(LINK.findall(mail.outbox[0].body)[0])
    client.post(link)
    subscriber = Subscriber.objects.get(email="twice@example.org")
    client.post(
        f"/newsletter/unsubscribe/{subscriber.pk}/0/"
        f"{tokens.link_signature(subscriber.pk, subscriber.secret, 'unsubscribe')}/"
    )

    again = client.post(link)

    assert again.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert active_slugs(subscriber) == []
    assert subscriber.consent_records.filter(action=ConsentRecord.Action.CONFIRM).count() == 1


@pytest.mark.django_db
def test_expired_confirmation_link_is_refused_and_changes_nothing(
    client, django_capture_on_commit_callbacks, monkeypatch
):
    daily, _weekly, _members = make_newsletters()
    with django_capture_on_commit_callbacks(execute=True):
        post_signup(client, signup_data("late@example.org", [daily]))
    subscriber = Subscriber.objects.get(email="late@example.org")
    record = subscriber.consent_records.get()
    eight_days_ago = time.time() - 8 * 24 * 3600
    monkeypatch.setattr(signing.time, "time", lambda: eight_days_ago)
    token = tokens.make_confirmation_token(subscriber, record, [daily.pk])
    monkeypatch.undo()

    for response in (
        client.get(f"/newsletter/confirm/{token}/"),
        client.post(f"/newsletter/confirm/{token}/"),
    ):
        assert response.status_code == 410
        assert b"This link has expired" in response.content
        assert b'href="/newsletter/"' in response.content
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING
    assert active_slugs(subscriber) == []


@pytest.mark.django_db
def test_tampered_confirmation_links_are_refused(client, django_capture_on_commit_callbacks):
    daily, _weekly, members = make_newsletters()
    with django_capture_on_commit_callbacks(execute=True):
        post_signup(client, signup_data("tamper@example.org", [daily]))
    link = path_of(LINK.findall(mail.outbox[0].body)[0])
    token = link.rstrip("/").rsplit("/", 1)[1]
    subscriber = Subscriber.objects.get(email="tamper@example.org")
    record = subscriber.consent_records.get()
    forged = signing.dumps(
        {"s": subscriber.pk, "c": record.pk, "n": [members.pk], "k": "x"},
        salt="not-our-salt",
    )

    for bad in (token[:-3] + "abc", token[5:], forged, "nonsense"):
        response = client.post(f"/newsletter/confirm/{bad}/")
        assert response.status_code == 400
        assert b"This link does not work" in response.content

    subscriber.secret = "rotated"
    subscriber.save()
    assert client.post(link).status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.PENDING
    assert active_slugs(subscriber) == []


@pytest.mark.django_db
def test_the_answer_never_reveals_whether_an_address_is_known(
    client, django_capture_on_commit_callbacks
):
    daily, weekly, _members = make_newsletters()
    make_subscriber("pending@example.org", status=Subscriber.Status.PENDING)
    make_subscriber("confirmed@example.org", [daily], name="Known Reader")
    make_subscriber("gone@example.org", status=Subscriber.Status.UNSUBSCRIBED)
    Suppression.objects.create(email="bounced@example.org", reason="hard_bounce")

    answers = []
    for email in (
        "new@example.org",
        "pending@example.org",
        "confirmed@example.org",
        "gone@example.org",
        "bounced@example.org",
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_signup(client, signup_data(email, [weekly], name="Someone Else"))
        answers.append((response.status_code, answer_body(response), tuple(response.cookies)))

    assert len(set(answers)) == 1
    assert answers[0][0] == 200
    assert sorted(message.to[0] for message in mail.outbox) == [
        "confirmed@example.org",
        "gone@example.org",
        "new@example.org",
        "pending@example.org",
    ]
    known = Subscriber.objects.get(email="confirmed@example.org")
    assert known.name == "Known Reader"
    assert active_slugs(known) == ["daily"]
    assert not Subscriber.objects.filter(email="bounced@example.org").exists()


@pytest.mark.django_db
def test_honeypot_gets_the_same_answer_and_nothing_happens(
    client, django_capture_on_commit_callbacks
):
    daily, _weekly, _members = make_newsletters()
    with django_capture_on_commit_callbacks(execute=True):
        real = post_signup(client, signup_data("person@example.org", [daily]))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        trapped = post_signup(
            client, signup_data("bot@example.org", [daily], website="http://spam.example")
        )

    assert trapped.status_code == 200
    assert answer_body(trapped) == answer_body(real)
    assert mail.outbox == []
    assert not Subscriber.objects.filter(email="bot@example.org").exists()


@pytest.mark.django_db
def test_a_form_sent_back_too_fast_sends_nothing(client, django_capture_on_commit_callbacks):
    daily, _weekly, _members = make_newsletters()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_signup(
            client,
            signup_data("quick@example.org", [daily], rendered=tokens.form_timestamp_token()),
        )

    assert response.status_code == 200
    assert b"Check your inbox" in response.content
    assert mail.outbox == []
    assert not Subscriber.objects.filter(email="quick@example.org").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "rendered",
    [
        "",
        "12345",
        "12345:forged-signature",
        tokens.form_timestamp_token(at=time.time() - 3 * 24 * 3600),
    ],
)
def test_a_stale_or_forged_form_asks_to_try_again_with_a_fresh_form(client, rendered):
    daily, _weekly, _members = make_newsletters()

    response = post_signup(client, signup_data("stale@example.org", [daily], rendered=rendered))

    assert response.status_code == 400
    assert b"That form had expired, so nothing was sent" in response.content
    assert b'name="rendered"' in response.content
    assert mail.outbox == []
    assert not Subscriber.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"origin": "https://evil.example"}, 403),
        ({"origin": "null"}, 403),
        ({"origin": None}, 403),
        ({"origin": None, "HTTP_REFERER": "https://evil.example/page/"}, 403),
        ({"origin": None, "HTTP_REFERER": "http://testserver/news/a-story/"}, 200),
        ({"origin": "http://127.0.0.1:8000"}, 200),
    ],
)
def test_only_forms_on_this_site_are_accepted(
    client, django_capture_on_commit_callbacks, headers, status
):
    daily, _weekly, _members = make_newsletters()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_signup(client, signup_data("cross@example.org", [daily]), **headers)

    assert response.status_code == status
    stored = Subscriber.objects.filter(email="cross@example.org").exists()
    assert stored is (status == 200)
    assert len(mail.outbox) == (1 if status == 200 else 0)


@pytest.mark.django_db
def test_too_many_sign_ups_from_one_address_are_refused(
    client, django_capture_on_commit_callbacks, settings
):
    settings.NEWSLETTER_SIGNUP_LIMIT_PER_IP = (3, 3600)
    daily, _weekly, _members = make_newsletters()
    statuses = []
    for number in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_signup(
                client, signup_data(f"reader{number}@example.org", [daily]), REMOTE_ADDR="192.0.2.7"
            )
        statuses.append(response.status_code)

    assert statuses == [200, 200, 200, 429, 429]
    assert len(mail.outbox) == 3
    assert Subscriber.objects.count() == 3
    other = post_signup(client, signup_data("other@example.org", [daily]), REMOTE_ADDR="192.0.2.8")
    assert other.status_code == 200


@pytest.mark.django_db
def test_confirmation_emails_to_one_address_are_capped_without_telling(
    client, django_capture_on_commit_callbacks, settings
):
    settings.NEWSLETTER_SIGNUP_LIMIT_PER_ADDRESS = (2, 3600)
    daily, _weekly, _members = make_newsletters()
    answers = set()
    for number in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_signup(
                client, signup_data("victim@example.org", [daily]), REMOTE_ADDR=f"192.0.2.{number}"
            )
        answers.add((response.status_code, answer_body(response)))

    assert len(answers) == 1
    assert len(mail.outbox) == 2
    subscriber = Subscriber.objects.get(email="victim@example.org")
    assert subscriber.consent_records.count() == 2


@pytest.mark.django_db
def test_signing_up_again_when_confirmed_resends_the_link_and_can_add_a_newsletter(
    client, django_capture_on_commit_callbacks
):
    daily, weekly, _members = make_newsletters()
    reader = make_subscriber("known@example.org", [daily])

    with django_capture_on_commit_callbacks(execute=True):
        post_signup(client, signup_data("known@example.org", [weekly]))

    reader.refresh_from_db()
    assert active_slugs(reader) == ["daily"]
    [message] = mail.outbox
    client.post(path_of(LINK.findall(message.body)[0]))
    assert active_slugs(reader) == ["daily", "weekly"]
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.CONFIRMED


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "not-an-address"}, b"Enter a valid email address."),
        ({"email": ""}, b"This field is required."),
        ({"newsletters": []}, b"Choose at least one newsletter."),
        ({"newsletters": ["999999"]}, b"Select a valid choice."),
        ({"newsletters": ["abc"]}, b"is not a valid value"),
        ({"name": "x" * 151}, b"Please check the form below."),
    ],
)
def test_bad_input_is_a_400_with_the_reason(client, overrides, message):
    daily, _weekly, _members = make_newsletters()

    data = signup_data("reader@example.org", [daily])
    data.update(overrides)

    response = post_signup(client, data)

    assert response.status_code == 400
    assert message in response.content
    assert not Subscriber.objects.exists()


@pytest.mark.django_db
def test_private_newsletters_cannot_be_chosen_on_the_form(client):
    _daily, _weekly, members = make_newsletters()

    response = post_signup(client, signup_data("reader@example.org", [members]))

    assert response.status_code == 400
    assert not Subscriber.objects.exists()


@pytest.mark.django_db
def test_newsletter_page_is_cacheable_and_carries_nothing_per_visitor(client):
    make_newsletters()

    first = client.get("/newsletter/")
    second = client.get("/newsletter/")

    assert first.status_code == 200
    assert first["X-Cache"] == "miss"
    assert second["X-Cache"] == "hit"
    body = first.content.decode()
    assert "csrfmiddlewaretoken" not in body
    assert 'action="/newsletter/subscribe/"' in body
    assert "Daily briefing" in body and "Weekly digest" in body
    assert "Members&#x27; letter" not in body and "Members' letter" not in body
    assert "I can unsubscribe at any time" in body
    assert not first.cookies


@pytest.mark.django_db
def test_get_on_the_subscribe_endpoint_goes_to_the_newsletter_page(client):
    response = client.get("/newsletter/subscribe/")

    assert response.status_code == 302
    assert response["Location"] == "/newsletter/"


@pytest.mark.django_db
def test_a_refused_sign_up_shows_the_form_again_with_the_readers_choices_ticked(client):
    daily, weekly, _members = make_newsletters()
    weekly.name = "Weekly <b>digest</b> & more"
    weekly.save()
    data = signup_data("not-an-address", [weekly])

    response = post_signup(client, data)

    assert response.status_code == 400
    page = response.content.decode()
    ticked = re.findall(
        r'<input type="checkbox" id="[^"]*" name="newsletters" value="(\d+)"( checked)?>', page
    )
    assert (str(weekly.pk), " checked") in ticked
    assert (str(daily.pk), "") in ticked
    assert "Weekly &lt;b&gt;digest&lt;/b&gt; &amp; more" in page
    assert "<b>digest</b>" not in page


def test_forms_rendered_in_one_second_share_one_signature(monkeypatch):
    """The render time's token is signed once per second (and key): the same token Django's
    signer gives, a new one for another second or another key."""
    from django.test import override_settings

    signed = []
    original = signing.Signer.sign
    monkeypatch.setattr(
        signing.Signer,
        "sign",
        lambda signer, value: signed.append(value) or original(signer, value),
    )
    first = [tokens.form_timestamp_token(at=1_800_000_000.2 + tenth / 10) for tenth in range(5)]
    assert len(set(first)) == 1 and signed == ["1800000000"]
    assert first[0] == original(signing.Signer(salt=tokens.FORM_SALT), "1800000000")
    later = tokens.form_timestamp_token(at=1_800_000_001)
    assert later != first[0] and signed == ["1800000000", "1800000001"]
    with override_settings(SECRET_KEY="another key for this test, long enough to be one"):
        other = tokens.form_timestamp_token(at=1_800_000_001)
        assert other != later
        assert tokens.form_age_seconds(other, now=1_800_000_011) == 10
    assert tokens.form_age_seconds(later, now=1_800_000_011) == 10
    assert tokens.form_age_seconds(other, now=1_800_000_011) is None
