"""The shipped nginx config sends counting hits to the hit listener, with what the
listener needs to count them as Django would: the reader's address in X-Forwarded-For, the
scheme in X-Forwarded-Proto, and the page's own Host."""

import threading
import urllib.request
from urllib.parse import urlencode

import pytest

from masthead.audience import listener
from tests.audience.test_listener import BROWSER
from tests.nginx_harness import NGINX, free_port, get, nginx_missing_reason, start_nginx

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(NGINX is None, reason=nginx_missing_reason() if NGINX is None else ""),
]


@pytest.fixture
def behind_nginx(tmp_path, settings):
    hit_server = listener.HitServer(listener.listening_socket("127.0.0.1", 0))
    thread = threading.Thread(target=hit_server.run, daemon=True)
    thread.start()
    address = "{}:{}".format(*hit_server.server_address)
    # Nothing listens for pages: only the hit locations are asked for.
    nginx = start_nginx([f"127.0.0.1:{free_port()}"], tmp_path, hit_listener=address)
    settings.SITE_URL = nginx.url
    settings.TRUSTED_PROXY_COUNT = 1
    yield nginx
    nginx.stop()
    hit_server.stop()
    thread.join(timeout=5)
    hit_server.listening.close()


def post_hit(nginx, **headers):
    body = urlencode({"k": "view", "p": "/news/", "r": "https://www.bing.com/"}).encode()
    return get(
        nginx.url + "/a/hit",
        {
            "Origin": nginx.url,
            "User-Agent": BROWSER,
            "Content-Type": "application/x-www-form-urlencoded",
            **headers,
        },
        method="POST",
        data=body,
    )


def test_a_hit_through_nginx_reaches_the_listener_and_is_counted(behind_nginx, taken_hits):
    status, headers, _body = post_hit(behind_nginx)

    assert status == 204
    assert headers["Cache-Control"] == "no-store"
    [hit] = taken_hits
    assert (hit["path"], hit["referrer"], len(hit["visitor"])) == ("/news/", "Bing", 32)


def test_the_address_nginx_saw_is_the_one_counted(behind_nginx, taken_hits):
    # What a client claims in X-Forwarded-For is kept by nginx to the left of the address
    # it saw, which is the one the listener takes: two claims, one visitor.
    post_hit(behind_nginx, **{"X-Forwarded-For": "198.51.100.7"})
    post_hit(behind_nginx, **{"X-Forwarded-For": "198.51.100.8"})

    assert len({hit["visitor"] for hit in taken_hits}) == 1


def test_the_pixel_goes_to_the_listener_too(behind_nginx, taken_hits):
    request = urllib.request.Request(
        behind_nginx.url + "/a/hit.gif",
        headers={"Referer": behind_nginx.url + "/opinion/", "User-Agent": BROWSER},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer = (response.status, response.headers["Content-Type"], response.read()[:6])

    assert answer == (200, "image/gif", b"GIF89a")
    assert [hit["path"] for hit in taken_hits] == ["/opinion/"]


def test_hits_from_other_sites_are_refused_through_nginx(behind_nginx, taken_hits):
    status, _headers, _body = post_hit(behind_nginx, Origin="https://elsewhere.example")

    assert status == 400
    assert taken_hits == []
