"""The account page: every app's section in order, the reader's details (name editable,
address shown), the list of signed-in browsers with their sign-out buttons, and the place
for the data-rights part."""

import pytest
from django.conf import settings as django_settings
from django.test import Client

from masthead.readers import registry
from masthead.readers.models import Reader, ReaderSession
from masthead.readers.sessions import HINT_COOKIE, SESSION_COOKIE, describe_browser
from tests.readers import signed_in


@pytest.fixture
def test_sections(tmp_path, settings):
    """Two account sections from templates of their own, registered out of order."""
    folder = tmp_path / "templates"
    (folder / "tests").mkdir(parents=True)
    (folder / "tests" / "first.html").write_text("<p>First part for {{ who }}</p>")
    (folder / "tests" / "second.html").write_text("<p>Second part, {{ count }} items</p>")
    templates = [dict(engine) for engine in django_settings.TEMPLATES]
    templates[0]["DIRS"] = [*templates[0].get("DIRS", []), str(folder)]
    settings.TEMPLATES = templates
    sections = [
        registry.AccountSection(
            name="test-second",
            title="Second section",
            template="tests/second.html",
            context=lambda request, reader: {"count": 3},
            order=-1,
        ),
        registry.AccountSection(
            name="test-first",
            title="First section",
            template="tests/first.html",
            context=lambda request, reader: {"who": reader.email},
            order=-2,
        ),
    ]
    for section in sections:
        registry.register_account_section(section)
    yield sections
    for section in sections:
        registry._sections.pop(section.name)


@pytest.mark.django_db
def test_every_section_is_drawn_in_order_before_the_details(client, test_sections):
    signed_in(client, "reader@example.org")

    page = client.get("/account/").content.decode()

    first = page.index("First part for reader@example.org")
    second = page.index("Second part, 3 items")
    details = page.index('id="details"')
    assert page.index(">First section</h2>") < first < page.index(">Second section</h2>") < second
    assert second < details < page.index('id="browsers"') < page.index('id="your-data"')
    assert 'href="#account-test-first"' in page


@pytest.mark.django_db
def test_the_details_show_the_address_and_the_name_can_be_changed(client):
    reader = signed_in(client, "reader@example.org")

    saved = client.post("/account/details/", {"name": "  Jo   Reader "})

    assert saved.status_code == 302
    assert saved["Location"] == "/account/?saved=details#details"
    reader.refresh_from_db()
    assert reader.name == "Jo Reader"
    page = client.get(saved["Location"]).content.decode()
    assert "Your details are saved." in page
    assert 'value="Jo Reader"' in page
    assert "Hello, Jo Reader" in page
    assert "reader@example.org" in page


@pytest.mark.django_db
def test_a_name_too_long_is_refused_with_a_clear_error(client):
    reader = signed_in(client, "reader@example.org", name="Jo")

    answer = client.post("/account/details/", {"name": "x" * 151})

    assert answer.status_code == 400
    assert "Keep your name under 150 characters." in answer.content.decode()
    reader.refresh_from_db()
    assert reader.name == "Jo"


@pytest.mark.django_db
def test_the_details_cannot_be_changed_by_a_stranger(client):
    answer = client.post("/account/details/", {"name": "Mallory"})

    assert answer.status_code == 302
    assert answer["Location"].startswith("/account/sign-in/")
    assert not Reader.objects.filter(name="Mallory").exists()


@pytest.mark.django_db
def test_the_signed_in_browsers_are_listed_and_one_can_be_signed_out(client):
    reader = signed_in(client, "reader@example.org", browser="Firefox on Linux")
    phone = Client()
    signed_in(phone, "reader@example.org", browser="Safari on iOS")
    stranger = Client()
    signed_in(stranger, "other@example.org", browser="Edge on Windows")
    phone_session = ReaderSession.objects.get(browser="Safari on iOS")

    page = client.get("/account/").content.decode()

    assert "Firefox on Linux" in page and "Safari on iOS" in page
    assert "Edge on Windows" not in page
    assert page.count("This browser") == 1
    assert f"/account/browsers/{phone_session.pk}/sign-out/" in page

    ended = client.post(f"/account/browsers/{phone_session.pk}/sign-out/")

    assert ended.status_code == 302
    assert phone.get("/account/").status_code == 302
    assert client.get("/account/").status_code == 200
    assert ReaderSession.objects.filter(reader=reader).count() == 1


@pytest.mark.django_db
def test_a_reader_cannot_sign_out_someone_elses_browser(client):
    signed_in(client, "reader@example.org")
    stranger = Client()
    signed_in(stranger, "other@example.org")
    theirs = ReaderSession.objects.get(reader__email="other@example.org")

    client.post(f"/account/browsers/{theirs.pk}/sign-out/")

    assert ReaderSession.objects.filter(pk=theirs.pk).exists()
    assert stranger.get("/account/").status_code == 200


@pytest.mark.django_db
def test_an_ended_session_puts_the_header_back_to_sign_in(client):
    signed_in(client)
    ReaderSession.objects.all().delete()

    answer = client.get("/account/")

    assert answer.status_code == 302
    assert answer.cookies[HINT_COOKIE].value == ""
    assert answer.cookies[SESSION_COOKIE].value == ""


@pytest.mark.parametrize(
    ("user_agent", "described"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari on iOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "Firefox on Linux",
        ),
        ("curl/8.5.0", "Unknown browser"),
        ("", "Unknown browser"),
    ],
)
def test_browsers_are_described_briefly(user_agent, described):
    assert describe_browser(user_agent) == described


@pytest.mark.django_db
def test_the_account_page_has_its_place_for_the_data_rights_part(client):
    signed_in(client)

    page = client.get("/account/")

    assert "readers/rights/account_part.html" in [template.name for template in page.templates]
