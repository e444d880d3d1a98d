"""The hit endpoint and what it records: no cookie, no IP address or user agent kept, one
visitor per day, GPC/DNT honoured, bots left out, other sites and hostile bodies refused,
referrers grouped, UTM and newsletter campaigns read, and cached pages still cached."""

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.contrib.staticfiles import finders
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from masthead.audience import buffer, counting
from masthead.audience.models import Hit, PageDay, ReferrerKind
from masthead.audience.rollup import roll_up_days
from tests.publishing.factories import make_article, make_site_tree

pytestmark = pytest.mark.django_db

ORIGIN = "http://testserver"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0 Unusual/7.7"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1"
IP = "203.0.113.77"
FORM = "application/x-www-form-urlencoded"


def post_hit(client, *, ip=IP, user_agent=BROWSER, origin=ORIGIN, headers=None, **fields):
    fields.setdefault("k", "view")
    fields.setdefault("p", "/news/")
    extra = {"REMOTE_ADDR": ip, "HTTP_USER_AGENT": user_agent, **(headers or {})}
    if origin:
        extra["HTTP_ORIGIN"] = origin
    return client.post("/a/hit", urlencode(fields), FORM, **extra)


def at(day, hour=12):
    return datetime(2026, 3, day, hour, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    """Sets the time the endpoint sees (``clock(datetime)``)."""

    def set_time(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_time


def test_a_view_is_counted_and_the_answer_sets_no_cookie_and_is_not_stored(client):
    tree = make_site_tree()
    article = make_article(tree.section)

    response = post_hit(client, p=article.url, r="https://www.google.co.uk/search?q=bridge")

    assert response.status_code == 204
    assert "Set-Cookie" not in response.headers
    assert not response.cookies
    assert "no-store" in response["Cache-Control"]
    hit = Hit.objects.get()
    assert (hit.kind, hit.path, hit.page_id) == ("view", article.url, article.id)
    assert (hit.referrer, hit.referrer_kind) == ("Google", ReferrerKind.SEARCH)
    assert len(hit.visitor) == 32


def test_no_table_holds_the_ip_address_or_the_user_agent(client, clock):
    clock(at(2))
    post_hit(client, p="/news/", r="https://example.org/some/path?secret=1")
    post_hit(client, k="read", p="/news/")
    post_hit(client, p="/news/", q="?utm_source=x&mh_campaign=3")
    client.get("/a/hit.gif", REMOTE_ADDR=IP, HTTP_USER_AGENT=BROWSER, HTTP_REFERER=ORIGIN + "/n/")
    roll_up_days([at(2).date()])
    assert Hit.objects.count() == 4

    scanned = 0
    for model in apps.get_app_config("audience").get_models():
        text_fields = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField)
        ]
        for row in model.objects.values_list(*text_fields):
            for value in row:
                scanned += 1
                assert IP not in value and "Unusual" not in value and "Firefox" not in value
                assert "secret" not in value and "some/path" not in value
    assert scanned > 20


def test_the_same_visitor_is_one_unique_a_day_and_a_new_one_the_next_day(client, clock):
    clock(at(2, 9))
    post_hit(client, p="/news/")
    clock(at(2, 18))
    post_hit(client, p="/news/")
    post_hit(client, p="/news/", ip="198.51.100.5")
    clock(at(3, 9))
    post_hit(client, p="/news/")
    roll_up_days([at(2).date(), at(3).date()])

    first, second, other, next_day = Hit.objects.order_by("id").values_list("visitor", flat=True)
    assert first == second
    assert other != first
    assert next_day not in (first, other)
    day_two = PageDay.objects.get(day=at(2).date())
    assert (day_two.views, day_two.visitors) == (3, 2)
    day_three = PageDay.objects.get(day=at(3).date())
    assert (day_three.views, day_three.visitors) == (1, 1)


@pytest.mark.parametrize("header", ["HTTP_SEC_GPC", "HTTP_DNT"])
def test_gpc_or_dnt_counts_the_view_but_not_the_visitor(client, clock, header):
    clock(at(4))
    response = post_hit(client, headers={header: "1"})

    assert response.status_code == 204
    assert Hit.objects.get().visitor == ""
    roll_up_days([at(4).date()])
    day = PageDay.objects.get()
    assert (day.views, day.visitors) == (1, 0)


@pytest.mark.parametrize(
    "user_agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "facebookexternalhit/1.1",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0 Safari",
        "curl/8.5.0",
        "python-requests/2.32",
        "Mozilla/5.0 (Linux; Android 11; moto g power) Chrome-Lighthouse",
        "",
    ],
)
def test_bots_are_answered_but_not_counted(client, user_agent):
    response = post_hit(client, user_agent=user_agent)

    assert response.status_code == 204
    assert not Hit.objects.exists()


def test_a_browser_driven_by_automation_is_not_counted(client):
    assert post_hit(client, w="1").status_code == 204
    assert not Hit.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "https://elsewhere.example"},
        {"HTTP_REFERER": "https://elsewhere.example/page/"},
        {},
    ],
)
def test_hits_from_other_sites_are_refused(client, headers):
    response = client.post(
        "/a/hit", "k=view&p=/news/", FORM, REMOTE_ADDR=IP, HTTP_USER_AGENT=BROWSER, **headers
    )

    assert response.status_code == 400
    assert not Hit.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"p": "news/"},
        {"p": "//elsewhere.example/x"},
        {"p": "https://elsewhere.example/x"},
        {"p": "/" + "a" * 600},
        {"p": "/news/\x00"},
        {"k": "purchase"},
        {"r": "x" * 3000},
        {f"f{number}": "1" for number in range(40)},
    ],
)
def test_hostile_or_oversized_bodies_are_refused_without_counting(client, fields):
    response = post_hit(client, **fields)

    assert response.status_code == 400
    assert not Hit.objects.exists()


@pytest.mark.parametrize(
    "body", [b"[1, 2]", b"{not json", json.dumps({"p": "/x/", "pad": "y" * 2100}).encode()]
)
def test_bad_json_is_refused(client, body):
    response = client.post(
        "/a/hit",
        body,
        content_type="application/json",
        REMOTE_ADDR=IP,
        HTTP_USER_AGENT=BROWSER,
        HTTP_ORIGIN=ORIGIN,
    )

    assert response.status_code == 400
    assert not Hit.objects.exists()


def test_a_multipart_body_is_refused(client):
    response = client.post(
        "/a/hit", {"p": "/news/"}, REMOTE_ADDR=IP, HTTP_USER_AGENT=BROWSER, HTTP_ORIGIN=ORIGIN
    )

    assert response.status_code == 400
    assert not Hit.objects.exists()


def test_a_json_hit_is_counted(client):
    response = client.post(
        "/a/hit",
        json.dumps({"k": "read", "p": "/news/story/"}),
        content_type="application/json",
        REMOTE_ADDR=IP,
        HTTP_USER_AGENT=PHONE,
        HTTP_ORIGIN=ORIGIN,
    )

    assert response.status_code == 204
    hit = Hit.objects.get()
    assert (hit.kind, hit.path, hit.device) == ("read", "/news/story/", "mobile")


def test_pages_that_carry_secrets_are_not_counted(client):
    assert post_hit(client, p="/account/sign-in/a-secret-token/").status_code == 204
    assert post_hit(client, p="/newsletter/confirm/another-token/").status_code == 204
    assert not Hit.objects.exists()


def test_nothing_is_counted_when_counting_is_off(client, settings):
    settings.AUDIENCE_ENABLED = False

    assert post_hit(client).status_code == 204
    assert not Hit.objects.exists()


def test_the_noscript_pixel_counts_the_page_it_is_on(client):
    response = client.get(
        "/a/hit.gif",
        REMOTE_ADDR=IP,
        HTTP_USER_AGENT=BROWSER,
        HTTP_REFERER=ORIGIN + "/news/story/?utm_source=print",
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert response.content.startswith(b"GIF89a")
    assert "no-store" in response["Cache-Control"]
    assert "Set-Cookie" not in response.headers
    hit = Hit.objects.get()
    assert (hit.path, hit.utm_source, hit.referrer_kind) == ("/news/story/", "print", "direct")


def test_the_pixel_from_another_site_is_refused(client):
    response = client.get(
        "/a/hit.gif", HTTP_USER_AGENT=BROWSER, HTTP_REFERER="https://elsewhere.example/"
    )

    assert response.status_code == 400
    assert not Hit.objects.exists()


def test_utm_and_newsletter_campaign_are_read_from_the_page_address(client):
    long_campaign = "c" * 300
    post_hit(
        client,
        p="/news/",
        q=f"?utm_source=mastodon&utm_medium=social&utm_campaign={long_campaign}&mh_campaign=42",
        r="https://mail.example.net/inbox",
    )

    hit = Hit.objects.get()
    assert (hit.utm_source, hit.utm_medium) == ("mastodon", "social")
    assert hit.utm_campaign == "c" * 100
    assert (hit.campaign_id, hit.referrer_kind) == (42, ReferrerKind.NEWSLETTER)


@pytest.mark.parametrize(
    ("referrer", "expected"),
    [
        ("", ("", "direct")),
        ("not a url", ("", "direct")),
        ("http://testserver/news/", ("", "internal")),
        ("https://www.google.com/", ("Google", "search")),
        ("https://www.google.co.uk/search?q=x", ("Google", "search")),
        ("https://www.bing.com/search?q=x", ("Bing", "search")),
        ("https://duckduckgo.com/", ("DuckDuckGo", "search")),
        ("https://www.ecosia.org/search", ("Ecosia", "search")),
        ("https://search.yahoo.co.jp/", ("Yahoo", "search")),
        ("https://yandex.ru/search/", ("Yandex", "search")),
        ("https://www.baidu.com/s", ("Baidu", "search")),
        ("https://www.qwant.com/", ("Qwant", "search")),
        ("https://www.startpage.com/", ("Startpage", "search")),
        ("https://search.brave.com/search?q=x", ("Brave Search", "search")),
        ("https://t.co/abc", ("X (Twitter)", "social")),
        ("https://x.com/someone/status/1", ("X (Twitter)", "social")),
        ("https://l.facebook.com/l.php?u=x", ("Facebook", "social")),
        ("https://m.facebook.com/", ("Facebook", "social")),
        ("https://www.linkedin.com/feed/", ("LinkedIn", "social")),
        ("https://old.reddit.com/r/news/", ("Reddit", "social")),
        ("https://bsky.app/profile/x", ("Bluesky", "social")),
        ("https://www.threads.net/@x", ("Threads", "social")),
        ("https://www.youtube.com/watch?v=1", ("YouTube", "social")),
        ("https://web.whatsapp.com/", ("WhatsApp", "social")),
        ("https://t.me/channel", ("Telegram", "social")),
        ("https://mastodon.social/@someone/123", ("mastodon.social", "other")),
        ("https://www.example.org/a/private/path?token=1", ("example.org", "other")),
    ],
)
def test_referrers_are_grouped_and_other_sites_kept_by_host_only(referrer, expected):
    assert counting.group_referrer(referrer, {"testserver"}) == expected


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (BROWSER, "desktop"),
        (PHONE, "mobile"),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/120 Mobile Safari/537.36", "mobile"),
        ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) Safari/604.1", "tablet"),
        ("Mozilla/5.0 (Linux; Android 13; SM-X700) Chrome/120 Safari/537.36", "tablet"),
    ],
)
def test_device_class_comes_from_the_user_agent(user_agent, device):
    assert counting.device_class(user_agent) == device


def test_no_country_without_a_geoip_file(client, settings, tmp_path):
    settings.AUDIENCE_GEOIP_PATH = ""
    post_hit(client)
    settings.AUDIENCE_GEOIP_PATH = str(tmp_path / "missing.mmdb")
    post_hit(client)

    assert list(Hit.objects.values_list("country", flat=True)) == ["", ""]


def test_a_cached_article_is_still_served_from_the_page_cache_with_the_counter_on(client):
    tree = make_site_tree()
    article = make_article(tree.section)

    first = client.get(article.url)
    second = client.get(article.url)

    assert second["X-Cache"] == "hit"
    assert second.content == first.content
    page = second.content.decode()
    assert '<script src="/static/audience/count.js" defer></script>' in page
    assert '<img class="hit-pixel" src="/a/hit.gif"' in page
    assert "data-read-through" in page
    script = finders.find("audience/count.js")
    with open(script, "rb") as file:
        source = file.read()
    assert len(source) < 2048
    for forbidden in (b"document.cookie", b"localStorage", b"sessionStorage", b"indexedDB"):
        assert forbidden not in source


def test_a_visitor_id_does_not_outlive_its_day():
    today = at(5)
    same = counting.visitor_id(1, IP, BROWSER, today)
    assert counting.visitor_id(1, IP, BROWSER, today + timedelta(hours=3)) == same
    assert counting.visitor_id(2, IP, BROWSER, today) != same
    assert counting.visitor_id(1, IP, BROWSER, today + timedelta(days=1)) != same


def test_hits_wait_in_the_buffer_and_reach_the_database_in_one_statement(settings):
    settings.AUDIENCE_WRITE_HITS_AT_ONCE = False
    settings.AUDIENCE_BATCH_SIZE = 100
    tree = make_site_tree()
    article = make_article(tree.section)
    waiting = buffer.HitBuffer()
    # No background thread in a test: flush() is called here instead.
    waiting.flusher_started = True
    base = {"at": at(6), "kind": "view", "site_id": tree.site.id, "visitor": "", "referrer": ""}
    for path in (article.url, "/nowhere/", article.url):
        waiting.record({**base, "path": path, "referrer_kind": "direct", "device": "desktop"})

    assert not Hit.objects.exists()
    with CaptureQueriesContext(connection) as queries:
        waiting.flush()

    inserts = [query for query in queries if "INSERT INTO" in query["sql"]]
    if connection.vendor == "postgresql":
        # One COPY for the batch, which Django's query log does not show: no INSERT at all.
        assert inserts == []
    else:
        # One prepared statement run for the batch (Django logs it as "3 times: INSERT ...").
        assert len(inserts) == 1
        assert inserts[0]["sql"].startswith("3 times: INSERT")
    pages = sorted(Hit.objects.values_list("path", "page_id"), key=lambda row: row[0])
    assert pages == [(article.url, article.id), (article.url, article.id), ("/nowhere/", None)]
    waiting.flush()
    assert Hit.objects.count() == 3
