"""The edge cache (issue 11): the shipped nginx config (deploy/nginx-masthead.conf) in front
of a real Masthead server keeps anonymous pages for EDGE_CACHE_SECONDS and lets only about
one request per page per second through; a session, basket or other Masthead cookie, a
POST, a private response and a response that sets a cookie are never served from it or
stored in it; a publication shows within the lifetime; pages tell a CDN the same, and
Wagtail's front-end cache purges a published page there, as configured from the environment.

Through nginx the server is pytest-django's live server (the test database, this process's
page cache); nginx is the real one (tests/nginx_harness.py), skipped where it is absent.
"""

import http.server
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.core.signals import request_started
from django.db import connection
from django.http import HttpResponse
from django.urls import include, path
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished

from masthead.core import cache as page_cache
from masthead.settings import frontend_cache_from_env
from masthead.shop import cart
from tests.nginx_harness import NGINX, get, nginx_missing_reason, start_nginx
from tests.publishing.factories import make_article, make_site_tree, publish

PROJECT_DIR = Path(__file__).resolve().parents[2]
SECRET_WORD = "only-for-this-visitor"


def sets_a_cookie(request):
    """Shareable by its Cache-Control, but it sets a cookie: no cache may keep it."""
    response = HttpResponse(f"<p>{SECRET_WORD} {time.monotonic_ns()}</p>")
    response["Cache-Control"] = "public, s-maxage=60"
    response.set_cookie("masthead_visitor", SECRET_WORD)
    return response


def private(request):
    response = HttpResponse(f"<p>{SECRET_WORD} {time.monotonic_ns()}</p>")
    response["Cache-Control"] = "private, s-maxage=60"
    return response


# The site's own URLs behind two views made for these tests (ROOT_URLCONF points here).
urlpatterns = [
    path("edge-test/sets-a-cookie/", sets_a_cookie),
    path("edge-test/private/", private),
    path("", include(settings.ROOT_URLCONF)),
]


# Through nginx the live server answers from another thread: the data must be committed
# (and the migrations' site and home page restored afterwards).
def through_nginx(test):
    test = pytest.mark.django_db(transaction=True, serialized_rollback=True)(test)
    return pytest.mark.skipif(NGINX is None, reason=nginx_missing_reason())(test)


class DjangoRequests:
    """Counts the requests that reach Django (the live server runs in this process)."""

    def __init__(self):
        self.paths = Counter()
        self.lock = threading.Lock()

    def __call__(self, sender, environ=None, **kwargs):
        with self.lock:
            self.paths[environ.get("PATH_INFO", "") if environ else ""] += 1

    def __getitem__(self, path_info):
        with self.lock:
            return self.paths[path_info]


@pytest.fixture
def django_requests():
    counter = DjangoRequests()
    request_started.connect(counter)
    yield counter
    request_started.disconnect(counter)


@pytest.fixture
def article(db, settings):
    settings.ROOT_URLCONF = __name__
    tree = make_site_tree()
    return make_article(tree.section, title="Library opening hours extended")


def database_now():
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()" if connection.vendor == "postgresql" else "SELECT 1")
        return cursor.fetchone()[0]


def close_connections_left_since(started, earlier_threads):
    """On PostgreSQL, end the sessions the live server's request threads opened since
    ``started`` and left behind when they ended, so the test database can be flushed and
    dropped (each thread is gone by then; only its connection lingers). Only the request
    threads started since ``earlier_threads`` are waited for: other tests' servers are not
    this test's business."""
    if connection.vendor != "postgresql":
        return
    for thread in threading.enumerate():
        if thread.name.endswith("(process_request_thread)") and thread not in earlier_threads:
            thread.join(timeout=10)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
            "current_database() AND pid <> pg_backend_pid() AND state = 'idle' "
            "AND backend_start >= %s",
            [started],
        )


@pytest.fixture
def edge(live_server, article, tmp_path):
    """nginx with the shipped config in front of the live server."""
    started = database_now()
    earlier_threads = set(threading.enumerate())
    port = urlsplit(live_server.url).port
    server = start_nginx([f"127.0.0.1:{port}"], tmp_path / "nginx")
    yield server
    server.stop()
    close_connections_left_since(started, earlier_threads)


def wait_until(condition, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


@through_nginx
def test_anonymous_pages_are_kept_and_say_so_to_a_cdn(edge, article, django_requests):
    first_status, first, first_body = get(edge.url + article.url)
    second_status, second, second_body = get(edge.url + article.url)

    assert (first_status, second_status) == (200, 200)
    assert first["X-Cache-Status"] == "MISS"
    assert second["X-Cache-Status"] == "HIT"
    assert second_body == first_body
    assert "Library opening hours extended" in second_body
    assert django_requests[article.url] == 1
    assert second["Cache-Control"] == "public, max-age=60, s-maxage=1"
    keys = second["Surrogate-Key"].split(" ")
    assert keys[:2] == ["masthead", f"masthead-page-{article.pk}"]
    assert second["Cache-Tag"].split(",") == keys


@through_nginx
def test_each_reader_gets_the_id_of_their_own_request_even_from_the_cache(edge, article):
    seen_by_django = []

    def note_request_id(sender, environ, **kwargs):
        seen_by_django.append(environ.get("HTTP_X_REQUEST_ID"))

    request_started.connect(note_request_id)
    try:
        _, first, _ = get(edge.url + article.url)
        _, second, _ = get(edge.url + article.url)
    finally:
        request_started.disconnect(note_request_id)

    assert second["X-Cache-Status"] == "HIT"
    # nginx names each request (32 hex digits) and Django logs the request under that name.
    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
    assert seen_by_django == [first["X-Request-ID"]]
    # The cached copy does not repeat the id of the request that filled it.
    assert re.fullmatch(r"[0-9a-f]{32}", second["X-Request-ID"])
    assert second["X-Request-ID"] != first["X-Request-ID"]
    assert second.get_all("X-Request-ID") == [second["X-Request-ID"]]


@through_nginx
def test_only_about_one_request_per_page_per_second_reaches_django(edge, article, django_requests):
    def read(_):
        return get(edge.url + article.url)[0]

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(read, range(300)))
    elapsed = time.monotonic() - started

    assert statuses == [200] * 300
    # One fill, then at most one refresh per second of the run (nginx counts whole seconds).
    assert django_requests[article.url] <= 2 + int(elapsed)


@through_nginx
@pytest.mark.parametrize(
    "cookie",
    [
        settings.SESSION_COOKIE_NAME,
        *page_cache.PERSONAL_COOKIES,
        cart.COOKIE_NAME,
        cart.HINT_COOKIE_NAME,
        "masthead_reader",
    ],
)
def test_a_session_basket_or_reader_cookie_goes_past_the_cache(
    edge, article, django_requests, cookie
):
    get(edge.url + article.url)
    assert get(edge.url + article.url)[1]["X-Cache-Status"] == "HIT"

    for _ in range(3):
        status, headers, _body = get(
            edge.url + article.url, headers={"Cookie": f"theme=dark; {cookie}=abc123"}
        )
        assert status == 200
        assert headers["X-Cache-Status"] == "BYPASS"

    assert django_requests[article.url] == 1 + 3


@through_nginx
def test_an_unrelated_cookie_still_gets_the_shared_page(edge, article, django_requests):
    get(edge.url + article.url)
    status, headers, _body = get(edge.url + article.url, headers={"Cookie": "theme=dark"})

    assert status == 200
    assert headers["X-Cache-Status"] in {"HIT", "MISS"}  # MISS only if the page varies on it
    assert headers["X-Cache-Status"] != "BYPASS"


@through_nginx
def test_posts_always_reach_django_and_are_never_stored(edge, article, django_requests):
    get(edge.url + article.url)
    for _ in range(3):
        status, headers, _body = get(edge.url + article.url, method="POST", data=b"a=1")
        # Refused (no CSRF token): an answer that must never be shown to a GET.
        assert status == 403
        assert headers.get("X-Cache-Status") in {None, "BYPASS"}

    assert django_requests[article.url] == 1 + 3
    assert get(edge.url + article.url)[0] == 200


@through_nginx
@pytest.mark.parametrize("path_info", ["/edge-test/sets-a-cookie/", "/edge-test/private/"])
def test_a_response_that_sets_a_cookie_or_is_private_is_never_stored(
    edge, article, django_requests, path_info
):
    bodies = []
    for _ in range(3):
        status, headers, body = get(edge.url + path_info)
        assert status == 200
        assert headers["X-Cache-Status"] == "MISS"
        bodies.append(body)

    assert django_requests[path_info] == 3
    assert len(set(bodies)) == 3


@through_nginx
def test_a_published_change_shows_within_the_edge_lifetime(edge, article):
    get(edge.url + article.url)
    assert get(edge.url + article.url)[1]["X-Cache-Status"] == "HIT"

    article.title = "Library to open on Sundays"
    publish(article)
    published_at = time.monotonic()
    shown = wait_until(lambda: "Library to open on Sundays" in get(edge.url + article.url)[2], 5)
    seconds = time.monotonic() - published_at

    assert shown
    # EDGE_CACHE_SECONDS is 1; nginx counts in whole seconds, so up to 2, and the first
    # request after that may still get the previous copy while the new one is fetched.
    assert seconds < settings.EDGE_CACHE_SECONDS + 2
    status, _headers, body = get(edge.url + article.url)
    assert status == 200 and "Library to open on Sundays" in body


@through_nginx
def test_an_unpublished_article_disappears_within_the_edge_lifetime(edge, article):
    url = article.url
    get(edge.url + url)
    assert get(edge.url + url)[1]["X-Cache-Status"] == "HIT"

    article.unpublish()
    unpublished_at = time.monotonic()
    gone = wait_until(lambda: get(edge.url + url)[0] == 404, 5)

    assert gone
    assert time.monotonic() - unpublished_at < settings.EDGE_CACHE_SECONDS + 2
    # And it stays gone: the stale copy is not served again while refreshing.
    assert [get(edge.url + url)[0] for _ in range(5)] == [404] * 5


@pytest.mark.django_db
def test_a_cdn_purged_on_publish_may_keep_pages_longer(client, settings, article):
    settings.CDN_CACHE_SECONDS = 300
    client.get(article.url)
    response = client.get(article.url)

    assert response["X-Cache"] == "hit"
    assert response["Cache-Control"] == "public, max-age=60, s-maxage=1"
    assert response["Surrogate-Control"] == "max-age=300"
    assert response["CDN-Cache-Control"] == "max-age=300"


@pytest.mark.django_db
def test_personal_pages_carry_no_cdn_headers(client, settings, article):
    settings.CDN_CACHE_SECONDS = 300
    client.cookies[settings.SESSION_COOKIE_NAME] = "not-a-session"
    response = client.get(article.url)

    assert "no-cache" in response["Cache-Control"] and "private" in response["Cache-Control"]
    for header in ("Surrogate-Control", "CDN-Cache-Control", "Surrogate-Key", "Cache-Tag"):
        assert header not in response


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, {}),
        (
            {"FRONTEND_CACHE_BACKEND": "http", "FRONTEND_CACHE_LOCATION": "http://127.0.0.1:6081"},
            {
                "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
                "LOCATION": "http://127.0.0.1:6081",
            },
        ),
        (
            {
                "FRONTEND_CACHE_BACKEND": "cloudflare",
                "CLOUDFLARE_ZONE_ID": "zone123",
                "CLOUDFLARE_API_TOKEN": "token456",
            },
            {
                "BACKEND": "wagtail.contrib.frontend_cache.backends.CloudflareBackend",
                "ZONEID": "zone123",
                "BEARER_TOKEN": "token456",
            },
        ),
        (
            {"FRONTEND_CACHE_BACKEND": "CloudFront", "CLOUDFRONT_DISTRIBUTION_ID": "E2ABC"},
            {
                "BACKEND": "wagtail.contrib.frontend_cache.backends.CloudfrontBackend",
                "DISTRIBUTION_ID": "E2ABC",
            },
        ),
    ],
)
def test_the_purge_backend_comes_from_the_environment(monkeypatch, variables, expected):
    for name in (
        "FRONTEND_CACHE_BACKEND",
        "FRONTEND_CACHE_LOCATION",
        "CLOUDFLARE_ZONE_ID",
        "CLOUDFLARE_API_TOKEN",
        "CLOUDFRONT_DISTRIBUTION_ID",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)

    assert frontend_cache_from_env() == ({"default": expected} if expected else {})


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"FRONTEND_CACHE_BACKEND": "varnish"}, "not supported"),
        ({"FRONTEND_CACHE_BACKEND": "http"}, "needs FRONTEND_CACHE_LOCATION"),
        (
            {"FRONTEND_CACHE_BACKEND": "cloudflare", "CLOUDFLARE_ZONE_ID": "zone123"},
            "needs CLOUDFLARE_API_TOKEN",
        ),
    ],
)
def test_an_incomplete_purge_configuration_is_refused(monkeypatch, variables, message):
    from django.core.exceptions import ImproperlyConfigured

    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("FRONTEND_CACHE_LOCATION", raising=False)
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)

    with pytest.raises(ImproperlyConfigured, match=message):
        frontend_cache_from_env()


def test_configuring_a_purge_backend_installs_wagtails_frontend_cache(tmp_path):
    script = (
        "import json, masthead.settings as s; "
        "print(json.dumps(['wagtail.contrib.frontend_cache' in s.INSTALLED_APPS, "
        "s.WAGTAILFRONTENDCACHE]))"
    )
    base = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("FRONTEND_CACHE", "CLOUDFLARE_", "CLOUDFRONT_"))
    }
    base["MASTHEAD_DATA_DIR"] = str(tmp_path)

    def settings_with(**variables):
        completed = subprocess.run(
            [sys.executable, "-c", script],
            cwd=PROJECT_DIR,
            env={**base, **variables},
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(completed.stdout.strip().splitlines()[-1])

    assert settings_with() == [False, {}]
    installed, configured = settings_with(
        FRONTEND_CACHE_BACKEND="http", FRONTEND_CACHE_LOCATION="http://127.0.0.1:6081"
    )
    assert installed
    assert configured["default"]["LOCATION"] == "http://127.0.0.1:6081"


class PurgeRecorder(http.server.BaseHTTPRequestHandler):
    """A cache's purge endpoint on loopback: records each PURGE it receives."""

    received = None

    def do_PURGE(self):
        self.received.append((self.command, self.path, self.headers["Host"]))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def purge_server():
    received = []
    handler = type("Recorder", (PurgeRecorder,), {"received": received})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


@pytest.fixture
def wagtail_purges_on_publish():
    """What installing wagtail.contrib.frontend_cache does (the test settings have no
    backend, so it is not installed): purge a page's URLs when it is published or
    unpublished. Undone afterwards, so other tests publish without purging."""
    from wagtail.contrib.frontend_cache.signal_handlers import (
        page_published_signal_handler,
        page_unpublished_signal_handler,
        register_signal_handlers,
    )

    register_signal_handlers()
    yield
    for model in apps.get_models():
        if issubclass(model, Page):
            page_published.disconnect(page_published_signal_handler, sender=model)
            page_unpublished.disconnect(page_unpublished_signal_handler, sender=model)


@pytest.mark.django_db
def test_publishing_purges_the_page_from_the_configured_cache(
    monkeypatch,
    settings,
    purge_server,
    wagtail_purges_on_publish,
    django_capture_on_commit_callbacks,
):
    location, received = purge_server
    monkeypatch.setenv("FRONTEND_CACHE_BACKEND", "http")
    monkeypatch.setenv("FRONTEND_CACHE_LOCATION", location)
    settings.WAGTAILFRONTENDCACHE = frontend_cache_from_env()
    tree = make_site_tree()
    article = make_article(tree.section, title="Library opening hours extended")
    received.clear()

    article.title = "Library to open on Sundays"
    with django_capture_on_commit_callbacks(execute=True):
        publish(article)
    assert wait_until(lambda: received, 5)
    article_url = urlsplit(article.full_url)
    assert received == [("PURGE", article_url.path, article_url.netloc)]

    received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        article.unpublish()
    assert wait_until(lambda: received, 5)
    assert received == [("PURGE", article_url.path, article_url.netloc)]
