"""Passwordless sign-in: the link and the code from the email, each once, in time and only
in the browser that asked; wrong codes; rate limits per network and per mailbox; the same
answer for any address; sign out (here and everywhere); where ``next`` may lead; and that
signing in verifies the address and links every app's records to the Reader."""

import re
import threading
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from masthead.donations.models import Donation
from masthead.newsletter.models import Subscriber
from masthead.readers import registry
from masthead.readers import sign_in as flow
from masthead.readers.models import Reader, ReaderSession, SignInRequest
from masthead.readers.sessions import HINT_COOKIE, SESSION_COOKIE
from masthead.shop.models import Order
from tests.readers import signed_in
from tests.resilience.conftest import redis_direct, redis_proxy  # noqa: F401 (fixtures)

SIGN_IN = "/account/sign-in/"
CODE = "/account/sign-in/code/"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture(autouse=True)
def fresh_limits():
    """Rate limits are counted in the cache, which outlives each test's database."""
    cache.clear()


@pytest.fixture
def ask(django_capture_on_commit_callbacks):
    """POST an address to the sign-in form from ``client`` (the email goes out on commit)."""

    def ask(client, address, next_path="", **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(SIGN_IN, {"email": address, "next": next_path}, **extra)

    return ask


def link_and_code(text):
    """The sign-in link's path and the code from an email's plain text."""
    link = re.search(r"https?://\S+/account/sign-in/[A-Za-z0-9_-]{43}/", text).group(0)
    code = re.search(r"code there: (\d{6})", text).group(1)
    return urlsplit(link).path, code


def last_email():
    return link_and_code(mail.outbox[-1].body)


def is_signed_in(client):
    return client.get("/account/").status_code == 200


@pytest.mark.django_db
def test_the_link_from_the_email_received_over_smtp_signs_in_the_browser_that_asked(
    client, ask, smtp_mailbox
):
    client.defaults["HTTP_USER_AGENT"] = FIREFOX

    answer = ask(client, "Jo.Reader@Example.org")

    assert answer.status_code == 200
    assert "Check your inbox" in answer.content.decode()
    (message,) = smtp_mailbox.wait_for(1)
    assert message.rcpt_tos == ["jo.reader@example.org"]
    assert message.message["Auto-Submitted"] == "auto-generated"
    link, code = link_and_code(message.text())
    assert code in message.subject
    assert link.split("/")[-2] in message.html()
    assert Reader.objects.count() == 0

    # Opening the link (as a mail scanner would) changes nothing: it shows a button.
    opened = client.get(link)
    assert opened.status_code == 200
    assert "jo.reader@example.org" in opened.content.decode()
    assert SignInRequest.objects.get().used_at is None
    assert not ReaderSession.objects.exists()

    signed = client.post(link)

    assert signed.status_code == 302
    assert signed["Location"] == "/account/"
    reader = Reader.objects.get()
    assert (reader.email, reader.mailbox) == ("jo.reader@example.org", "jo.reader@example.org")
    assert reader.last_signed_in_at is not None
    assert signed.cookies[SESSION_COOKIE]["httponly"]
    assert signed.cookies[HINT_COOKIE].value == "1"
    assert not signed.cookies[HINT_COOKIE]["httponly"]
    assert signed.cookies[flow.NONCE_COOKIE].value == ""  # the binding is spent
    session = ReaderSession.objects.get()
    assert (session.reader, session.browser) == (reader, "Firefox on Linux")
    assert SignInRequest.objects.get().used_at is not None
    page = client.get("/account/")
    assert page.status_code == 200
    assert "jo.reader@example.org" in page.content.decode()


@pytest.mark.django_db
def test_nothing_but_hashes_of_the_link_code_and_browser_are_stored(client, ask):
    ask(client, "reader@example.org")
    link, code = last_email()
    token = link.split("/")[-2]
    nonce = client.cookies[flow.NONCE_COOKIE].value

    stored = SignInRequest.objects.get()

    row = " ".join(str(value) for value in vars(stored).values())
    assert token not in row and nonce not in row and code not in row
    assert stored.code_hash == flow.code_hash(stored.link_hash, code)
    assert client.cookies[flow.NONCE_COOKIE]["httponly"]
    assert client.cookies[flow.NONCE_COOKIE]["path"] == "/account/"


@pytest.mark.django_db
def test_the_code_signs_in_the_browser_that_asked_typed_with_spaces(client, ask):
    ask(client, "reader@example.org")
    _link, code = last_email()

    signed = client.post(CODE, {"code": f"{code[:3]} {code[3:]}"})

    assert signed.status_code == 302
    assert signed["Location"] == "/account/"
    assert Reader.objects.get().email == "reader@example.org"
    assert is_signed_in(client)


@pytest.mark.django_db
def test_the_link_works_once(client, ask):
    ask(client, "reader@example.org")
    link, code = last_email()
    client.post(link)
    other = Client()
    other.cookies[flow.NONCE_COOKIE] = client.cookies[flow.NONCE_COOKIE].value

    again = client.post(link)

    assert again.status_code == 410
    assert "has been used" in again.content.decode()
    assert client.get(link).status_code == 410
    assert ReaderSession.objects.count() == 1
    # Nor does the code of the same email work after the link.
    assert other.post(CODE, {"code": code}).status_code == 400
    assert ReaderSession.objects.count() == 1


@pytest.mark.django_db
def test_an_expired_link_or_code_changes_nothing(client, ask, settings):
    ask(client, "reader@example.org")
    link, code = last_email()
    SignInRequest.objects.update(
        expires_at=timezone.now() - timedelta(seconds=1),
        created_at=timezone.now() - timedelta(minutes=settings.READERS_SIGN_IN_MINUTES),
    )

    by_link = client.post(link)
    by_code = client.post(CODE, {"code": code})

    assert by_link.status_code == 410
    assert "has expired" in by_link.content.decode()
    assert 'name="email"' in by_link.content.decode()  # the "send a new link" form
    assert by_code.status_code == 400
    assert not Reader.objects.exists()
    assert not ReaderSession.objects.exists()
    assert SignInRequest.objects.get().used_at is None


@pytest.mark.django_db
def test_an_unknown_link_is_refused(client):
    answer = client.get(f"{SIGN_IN}{'x' * 43}/")

    assert answer.status_code == 400
    assert "does not work" in answer.content.decode()
    assert client.post(f"{SIGN_IN}{'x' * 43}/").status_code == 400
    assert not ReaderSession.objects.exists()


@pytest.mark.django_db
def test_the_link_and_code_do_not_work_in_another_browser(client, ask):
    ask(client, "reader@example.org")
    link, code = last_email()
    elsewhere = Client()

    opened = elsewhere.get(link)
    posted = elsewhere.post(link)
    typed = elsewhere.post(CODE, {"code": code})

    assert opened.status_code == posted.status_code == 403
    assert "where you asked" in posted.content.decode()
    assert typed.status_code == 400
    assert not ReaderSession.objects.exists()
    assert SignInRequest.objects.get().used_at is None
    # The browser that asked still can.
    assert client.post(link).status_code == 302


@pytest.mark.django_db
def test_wrong_codes_are_counted_and_the_last_one_ends_the_request(client, ask, settings):
    settings.READERS_CODE_ATTEMPTS = 3
    ask(client, "reader@example.org")
    link, code = last_email()
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    first = client.post(CODE, {"code": wrong})
    second = client.post(CODE, {"code": wrong})
    third = client.post(CODE, {"code": wrong})

    assert first.status_code == second.status_code == 400
    assert "not the code we sent" in first.content.decode()
    assert "try 2 more times" in first.content.decode()
    assert "try 1 more time" in second.content.decode()
    assert third.status_code == 400
    assert "Too many wrong codes" in third.content.decode()
    assert SignInRequest.objects.get().attempts == 3
    # Dead: neither the right code nor the link signs in now.
    assert client.post(CODE, {"code": code}).status_code == 400
    assert client.post(link).status_code == 410
    assert not ReaderSession.objects.exists()


@pytest.mark.django_db
def test_a_malformed_code_is_not_counted_as_a_try(client, ask):
    ask(client, "reader@example.org")

    answer = client.post(CODE, {"code": "12ab"})

    assert answer.status_code == 400
    assert "6 digits" in answer.content.decode()
    assert SignInRequest.objects.get().attempts == 0


@pytest.mark.django_db
def test_a_code_from_an_earlier_email_still_works_in_the_same_browser(client, ask):
    ask(client, "reader@example.org")
    _first_link, first_code = last_email()
    ask(client, "reader@example.org")

    assert client.post(CODE, {"code": first_code}).status_code == 302
    # Signing in ends the address's other pending requests.
    assert not SignInRequest.objects.filter(used_at__isnull=True).exists()


def _answer_without_tokens(response, address):
    body = response.content.decode().replace(address, "ADDRESS")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)


@pytest.mark.django_db
def test_known_and_unknown_addresses_get_the_same_answer_and_an_email(client, ask):
    signed_in(Client(), "known@example.org")
    mail.outbox.clear()

    known = ask(client, "known@example.org")
    unknown = ask(Client(), "stranger@example.org")

    assert known.status_code == unknown.status_code == 200
    assert _answer_without_tokens(known, "known@example.org") == _answer_without_tokens(
        unknown, "stranger@example.org"
    )
    assert set(known.cookies) == set(unknown.cookies)
    assert [message.to for message in mail.outbox] == [
        ["known@example.org"],
        ["stranger@example.org"],
    ]


@pytest.mark.django_db
def test_over_the_limit_per_network_the_answer_is_the_same_but_nothing_is_sent(
    client, ask, settings, caplog
):
    settings.READERS_SIGN_IN_LIMIT_PER_IP = (2, 3600)
    same_64 = ["2001:db8:1:2::1", "2001:db8:1:2::abcd", "2001:db8:1:2:ffff::9"]
    answers = [
        ask(Client(), f"reader{number}@example.org", REMOTE_ADDR=address)
        for number, address in enumerate(same_64)
    ]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert _answer_without_tokens(answers[2], "reader2@example.org") == (
        _answer_without_tokens(answers[0], "reader0@example.org")
    )
    assert flow.NONCE_COOKIE in answers[2].cookies
    assert [message.to for message in mail.outbox] == [
        ["reader0@example.org"],
        ["reader1@example.org"],
    ]
    assert SignInRequest.objects.count() == 2
    assert "too many requests from network 2001:db8:1:2::/64" in caplog.text
    # Another /64, and an IPv4 client, are counted apart.
    ask(Client(), "reader3@example.org", REMOTE_ADDR="2001:db8:1:3::1")
    ask(Client(), "reader4@example.org", REMOTE_ADDR="192.0.2.7")
    assert len(mail.outbox) == 4


@pytest.mark.django_db
def test_over_the_limit_per_mailbox_nothing_is_sent_whatever_the_tag_or_case(ask, settings, caplog):
    settings.READERS_SIGN_IN_LIMIT_PER_ADDRESS = (2, 3600)
    variants = ["Reader@Example.org", "reader+news@example.org", "READER+x@EXAMPLE.ORG"]
    answers = [
        ask(Client(), address, REMOTE_ADDR=f"192.0.2.{number}")
        for number, address in enumerate(variants, start=1)
    ]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert len(mail.outbox) == 2
    assert "too many requests for mailbox" in caplog.text
    assert "reader@example.org" not in caplog.text.lower()
    ask(Client(), "someone.else@example.org", REMOTE_ADDR="192.0.2.9")
    assert mail.outbox[-1].to == ["someone.else@example.org"]


@pytest.mark.django_db
def test_a_malformed_address_is_refused_and_nothing_is_sent(client, ask):
    answer = ask(client, "not an address")

    assert answer.status_code == 400
    assert "whole email address" in answer.content.decode()
    assert mail.outbox == []
    assert not SignInRequest.objects.exists()


@pytest.mark.django_db
def test_task_arguments_never_hold_the_address(client, ask, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django_tasks import default_task_backend

    ask(client, "private.person@example.org")

    (result,) = default_task_backend.results
    assert result.args[0] == SignInRequest.objects.get().pk
    assert "private.person" not in repr(result.args) + repr(result.kwargs)
    assert mail.outbox == []


@pytest.mark.django_db
def test_sign_out_ends_this_browser_only(client, ask):
    reader = signed_in(client)
    other = Client()
    signed_in(other)

    answer = client.post("/account/sign-out/")

    assert answer.status_code == 302
    assert answer["Location"] == "/account/signed-out/"
    assert answer.cookies[SESSION_COOKIE].value == ""
    assert answer.cookies[HINT_COOKIE].value == ""
    assert client.get("/account/").status_code == 302
    assert ReaderSession.objects.filter(reader=reader).count() == 1
    assert is_signed_in(other)


@pytest.mark.django_db
def test_sign_out_everywhere_ends_every_browser_of_the_reader(client):
    reader = signed_in(client)
    other = Client()
    signed_in(other)
    someone_else = Client()
    signed_in(someone_else, "someone@example.org")

    answer = client.post("/account/sign-out/everywhere/")

    assert answer.status_code == 302
    assert not ReaderSession.objects.filter(reader=reader).exists()
    assert not is_signed_in(client)
    assert not is_signed_in(other)
    assert is_signed_in(someone_else)


@pytest.mark.django_db
def test_sign_out_needs_a_post(client):
    signed_in(client)

    assert client.get("/account/sign-out/").status_code == 405
    assert client.get("/account/sign-out/everywhere/").status_code == 405
    assert is_signed_in(client)


@pytest.mark.django_db
def test_sign_out_needs_the_csrf_token():
    browser = Client(enforce_csrf_checks=True)
    signed_in(browser)

    assert browser.post("/account/sign-out/everywhere/").status_code == 403
    assert is_signed_in(browser)


@pytest.mark.django_db
def test_the_account_page_sends_strangers_to_sign_in_and_back(client, ask):
    answer = client.get("/account/")

    assert answer.status_code == 302
    assert answer["Location"] == "/account/sign-in/?next=/account/"
    form = client.get(answer["Location"])
    assert 'name="next" value="/account/"' in form.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("next_path", ["/shop/basket/", "/news/a-story/?page=2"])
def test_after_signing_in_the_reader_goes_back_to_a_page_of_this_site(client, ask, next_path):
    ask(client, "reader@example.org", next_path=next_path)
    link, _code = last_email()

    assert client.post(link)["Location"] == next_path


@pytest.mark.django_db
@pytest.mark.parametrize(
    "next_path",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "http://testserver.evil.example/",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_next_never_leads_off_the_site(client, ask, next_path):
    ask(client, "reader@example.org", next_path=next_path)
    _link, code = last_email()

    assert SignInRequest.objects.get().next_path == ""
    assert client.post(CODE, {"code": code})["Location"] == "/account/"


@pytest.mark.django_db
def test_a_signed_in_reader_asking_to_sign_in_goes_to_their_account(client):
    signed_in(client)

    answer = client.get(f"{SIGN_IN}?next=https://evil.example/")

    assert answer.status_code == 302
    assert answer["Location"] == "/account/"


@pytest.mark.django_db
def test_signing_in_verifies_the_address_and_every_app_links_its_records(client, ask):
    linked = []
    share = registry.PersonalData(
        name="test-share",
        title="Test",
        models=(),
        export=lambda reader: {},
        erase=lambda reader: None,
        link=lambda reader: linked.append(reader.email),
    )
    registry.register_personal_data(share)
    try:
        ask(client, "Two.Records@example.org")
        link, _code = last_email()
        client.post(link)
        second = Client()
        ask(second, "two.records+again@example.org")
        second.post(CODE, {"code": last_email()[1]})
    finally:
        registry._shares.pop("test-share")

    assert linked == ["two.records@example.org", "two.records@example.org"]
    # One Reader per mailbox, however the address was typed.
    assert Reader.objects.count() == 1
    assert ReaderSession.objects.count() == 2


@pytest.mark.django_db
def test_signing_in_links_the_subscriber_gifts_and_orders_under_that_address(client, ask):
    subscriber = Subscriber.objects.create(
        email="giver@example.org", status=Subscriber.Status.CONFIRMED, confirmed_at=timezone.now()
    )
    gift = Donation.objects.create(
        kind=Donation.Kind.ONE_OFF,
        amount=1000,
        email="Giver@Example.org",
        provider="demo",
        status=Donation.Status.PAID,
        paid_at=timezone.now(),
    )
    order = Order.objects.create(
        email="giver+shop@example.org",
        subtotal=1500,
        total=1500,
        full_name="Sam Giver",
        address_line1="1 Quay",
        city="Riverside",
        country="GB",
    )
    someone_else = Donation.objects.create(
        kind=Donation.Kind.ONE_OFF, amount=500, email="other@example.org", provider="demo"
    )

    ask(client, "giver@example.org")
    client.post(last_email()[0])

    reader = Reader.objects.get()
    for row in (subscriber, gift, order, someone_else):
        row.refresh_from_db()
    assert (subscriber.reader, gift.reader, order.reader) == (reader, reader, reader)
    assert someone_else.reader is None


def all_at_once(count, work):
    """Run ``work(index)`` in ``count`` threads released together; what each returned."""
    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def run(index):
        try:
            barrier.wait()
            outcomes[index] = work(index)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def browser_with(nonce):
    browser = Client()
    browser.cookies[flow.NONCE_COOKIE] = nonce
    return browser


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_racing_guesses_get_no_more_tries_and_racing_sign_ins_only_one_session(settings):
    if connection.vendor != "postgresql":
        pytest.skip("racing requests are tested on PostgreSQL (set DATABASE_URL=postgres://...)")
    settings.READERS_CODE_ATTEMPTS = 3
    asker = Client()
    asker.post(SIGN_IN, {"email": "reader@example.org"})
    _link, code = last_email()
    nonce = asker.cookies[flow.NONCE_COOKIE].value
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    guesses = all_at_once(
        10, lambda index: browser_with(nonce).post(CODE, {"code": wrong}).status_code
    )

    assert guesses == [400] * 10
    assert SignInRequest.objects.get().attempts == 3

    asker.post(SIGN_IN, {"email": "reader@example.org"})
    link, _code = last_email()
    sign_ins = all_at_once(8, lambda index: browser_with(nonce).post(link).status_code)

    assert sorted(sign_ins) == [302] + [410] * 7
    assert ReaderSession.objects.count() == 1
    assert Reader.objects.count() == 1


@pytest.mark.django_db
def test_while_the_shared_cache_is_down_sign_in_is_refused_and_nothing_is_sent(
    client, ask, request
):
    # The site's cache on a real Redis through a proxy the test cuts (tests/resilience).
    request.getfixturevalue("redis_proxy").stop()

    refused = ask(client, "reader@example.org")

    assert refused.status_code == 503
    assert "Please try again in a few minutes" in refused.content.decode()
    assert mail.outbox == []
    assert not SignInRequest.objects.exists()
