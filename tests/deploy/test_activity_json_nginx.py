"""The shipped nginx micro-cache keys on the URL alone, and an article's URL answers
ActivityPub JSON to a fediverse server that asks for it: such requests must neither be
served from the cache nor stored in it."""

import http.server
import threading

import pytest

from tests.nginx_harness import NGINX, get, nginx_missing_reason, start_nginx

pytestmark = pytest.mark.skipif(
    NGINX is None, reason=nginx_missing_reason() if NGINX is None else ""
)

ACTIVITY_JSON = "application/activity+json"
LD_JSON = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


class Negotiating(http.server.BaseHTTPRequestHandler):
    """Answers like the article's URL does: HTML, shareable, or JSON for ActivityPub."""

    def do_GET(self):
        wants_json = "json" in self.headers.get("Accept", "")
        body = b'{"type": "Article"}' if wants_json else b"<html>the article</html>"
        self.send_response(200)
        self.send_header("Content-Type", ACTIVITY_JSON if wants_json else "text/html")
        self.send_header("Cache-Control", "public, max-age=0, s-maxage=60")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def nginx(tmp_path):
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Negotiating)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    server = start_nginx([f"127.0.0.1:{upstream.server_address[1]}"], tmp_path)
    yield server
    server.stop()
    upstream.shutdown()
    upstream.server_close()


@pytest.mark.parametrize("accept", [ACTIVITY_JSON, LD_JSON])
def test_activitypub_requests_pass_the_micro_cache_both_ways(nginx, accept):
    url = nginx.url + "/news/a-story/"
    # The HTML page is cached...
    get(url)
    status, headers, body = get(url)
    assert (status, headers["X-Cache-Status"], body) == (200, "HIT", "<html>the article</html>")

    # ...but a fediverse server gets the JSON, not the cached page,
    status, headers, body = get(url, {"Accept": accept})
    assert (status, headers["X-Cache-Status"], body) == (200, "BYPASS", '{"type": "Article"}')

    # and the JSON is not stored for the readers who come next.
    status, headers, body = get(url)
    assert (headers["X-Cache-Status"], body) == ("HIT", "<html>the article</html>")
