"""The hit listener (``masthead serve_hits``): real HTTP over loopback sockets to a
``HitServer`` running in a thread, and the hits it takes compared with Django's view's."""

import socket
import threading
import time
from urllib.parse import urlencode

import pytest

from masthead.audience import listener
from masthead.audience.models import Hit, ReferrerKind
from tests.publishing.factories import make_article, make_site_tree

pytestmark = pytest.mark.django_db
# Where the listener's own thread writes hits with its own connection, the test must commit.
writes = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0 Unusual/7.7"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def hit_server():
    """A HitServer on a free loopback port, serving from a thread until the test ends."""
    server = listener.HitServer(listener.listening_socket("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield server
    server.stop()
    thread.join(timeout=5)
    server.listening.close()


def connect(server):
    sock = socket.create_connection(server.server_address, timeout=5)
    return sock


def request_bytes(method="POST", path="/a/hit", headers=None, body=b"", host=None):
    headers = {
        "Host": host or "localhost",
        "User-Agent": BROWSER,
        "Origin": f"http://{host or 'localhost'}",
        "Content-Type": FORM,
        **(headers or {}),
    }
    if body or method == "POST":
        headers.setdefault("Content-Length", str(len(body)))
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (head + "\r\n").encode("latin-1") + body


def read_answers(sock, count):
    """``count`` answers as (status, headers dict, body)."""
    data = b""
    answers = []
    while len(answers) < count:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return answers
            data += chunk
        head, _, data = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(data) < length:
            data += sock.recv(65536)
        answers.append((int(lines[0].split(" ")[1]), headers, data[:length]))
        data = data[length:]
    return answers


def is_closed(sock):
    sock.settimeout(5)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def form(**fields):
    fields.setdefault("k", "view")
    fields.setdefault("p", "/news/")
    return urlencode(fields).encode()


@writes
def test_hits_over_one_kept_alive_connection_are_counted_like_the_views_count_them(
    client, hit_server
):
    tree = make_site_tree()
    article = make_article(tree.section)
    fields = form(p=article.url, r="https://www.google.co.uk/search?q=x", q="?utm_source=feed")

    with connect(hit_server) as sock:
        # Two requests sent at once (pipelined), then a third on the same connection.
        sock.sendall(request_bytes(body=fields) * 2)
        first = read_answers(sock, 2)
        sock.sendall(request_bytes(body=form(k="read", p=article.url)))
        second = read_answers(sock, 1)

    assert [status for status, _headers, _body in first + second] == [204, 204, 204]
    for _status, headers, _body in first + second:
        assert "set-cookie" not in headers
        assert headers["cache-control"] == "no-store"
        assert headers["connection"] == "keep-alive"
    by_listener = list(Hit.objects.order_by("id").values())
    assert [hit["kind"] for hit in by_listener] == ["view", "view", "read"]

    # The same hit through Django's view makes the same row.
    Hit.objects.all().delete()
    response = client.post(
        "/a/hit",
        fields,
        FORM,
        HTTP_HOST="localhost",
        HTTP_ORIGIN="http://localhost",
        HTTP_USER_AGENT=BROWSER,
        REMOTE_ADDR="127.0.0.1",
    )
    assert response.status_code == 204
    by_view = Hit.objects.values().get()
    compared = set(by_view) - {"id", "at"}
    assert {name: by_listener[0][name] for name in compared} == {
        name: by_view[name] for name in compared
    }
    assert by_view["page_id"] == article.id
    assert (by_view["referrer"], by_view["referrer_kind"]) == ("Google", ReferrerKind.SEARCH)
    assert by_view["utm_source"] == "feed"


def test_the_pixel_counts_the_page_in_its_referer(hit_server, taken_hits):
    with connect(hit_server) as sock:
        sock.sendall(
            request_bytes("GET", "/a/hit.gif", {"Referer": "http://localhost/news/?mh_campaign=4"})
        )
        [(status, headers, body)] = read_answers(sock, 1)

    assert (status, headers["content-type"], body[:6]) == (200, "image/gif", b"GIF89a")
    [hit] = taken_hits
    assert (hit["path"], hit["campaign_id"], hit["referrer_kind"]) == (
        "/news/",
        4,
        ReferrerKind.NEWSLETTER,
    )


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (request_bytes(headers={"Origin": "https://elsewhere.example"}, body=form()), 400),
        (request_bytes(body=form(k="purchase")), 400),
        (request_bytes(body=form(p="//elsewhere.example/x")), 400),
        (request_bytes(body=form(**{f"f{n}": "1" for n in range(40)})), 400),
        (request_bytes(headers={"Content-Type": "multipart/form-data"}, body=form()), 400),
        (request_bytes(headers={"Content-Type": "application/json"}, body=b"{not json"), 400),
        (request_bytes(body=b"p=/" + b"a" * 3000), 400),
        (request_bytes("GET", "/a/hit"), 405),
        (request_bytes("POST", "/a/hit.gif", body=form()), 405),
        (request_bytes("GET", "/admin/"), 404),
    ],
)
def test_refused_hits_are_answered_and_not_counted(hit_server, taken_hits, raw, status):
    with connect(hit_server) as sock:
        sock.sendall(raw)
        [(answered, headers, _body)] = read_answers(sock, 1)

    assert answered == status
    assert headers["cache-control"] == "no-store"
    assert taken_hits == []


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        # A host not in ALLOWED_HOSTS, as Django refuses it.
        (request_bytes(host="evil.example", body=form()), 400),
        # No chunked bodies: browsers and nginx send a length.
        (
            request_bytes(
                headers={"Transfer-Encoding": "chunked"}, body=b"5\r\nk=vie\r\n0\r\n\r\n"
            ),
            411,
        ),
        (request_bytes(headers={"Content-Length": "10000000"}), 413),
        (request_bytes(headers={"Content-Length": "-3"}), 400),
        (request_bytes(headers={"X-Padding": "a" * 9000}, body=form()), 431),
        (b"POST /a/hit\r\n\r\n", 400),
        (b"POST /a/hit HTTP/1.1\r\nno colon here\r\n\r\n", 400),
    ],
)
def test_malformed_requests_are_refused_and_the_connection_closed(
    hit_server, taken_hits, raw, status
):
    with connect(hit_server) as sock:
        sock.sendall(raw)
        [(answered, headers, _body)] = read_answers(sock, 1)
        assert is_closed(sock)

    assert answered == status
    assert headers["connection"] == "close"
    assert taken_hits == []


def test_a_forged_header_with_underscores_cannot_pass_for_x_forwarded_for(
    hit_server, taken_hits, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    with connect(hit_server) as sock:
        for address in ("198.51.100.1", "198.51.100.2"):
            sock.sendall(request_bytes(headers={"X-Forwarded-For": address}, body=form()))
        # A header spelt with underscores is dropped, as gunicorn drops it.
        sock.sendall(request_bytes(headers={"X_Forwarded_For": "198.51.100.3"}, body=form()))
        answers = read_answers(sock, 3)

    assert [status for status, _headers, _body in answers] == [204, 204, 204]
    visitors = [hit["visitor"] for hit in taken_hits]
    # Two forwarded addresses: two visitors. The third has no forwarded address the proxy
    # vouched for, so its address is the connection's own.
    assert len(set(visitors)) == 3


def test_gpc_counts_the_view_but_not_the_visitor(hit_server, taken_hits):
    with connect(hit_server) as sock:
        sock.sendall(request_bytes(headers={"Sec-GPC": "1"}, body=form()))
        read_answers(sock, 1)

    assert [hit["visitor"] for hit in taken_hits] == [""]


def test_bots_are_answered_but_not_counted(hit_server, taken_hits):
    with connect(hit_server) as sock:
        sock.sendall(request_bytes(headers={"User-Agent": "Googlebot/2.1"}, body=form()))
        [(status, _headers, _body)] = read_answers(sock, 1)

    assert status == 204
    assert taken_hits == []


def test_http_1_0_without_keep_alive_is_answered_and_closed(hit_server, taken_hits):
    raw = request_bytes(body=form()).replace(b"HTTP/1.1", b"HTTP/1.0", 1)
    with connect(hit_server) as sock:
        sock.sendall(raw)
        [(status, headers, _body)] = read_answers(sock, 1)
        assert is_closed(sock)

    assert (status, headers["connection"]) == (204, "close")
    assert len(taken_hits) == 1


def test_a_client_that_stalls_halfway_through_its_head_is_cut_off(hit_server, monkeypatch):
    monkeypatch.setattr(listener, "HEAD_SECONDS", 0.3)
    monkeypatch.setattr(listener, "SWEEP_SECONDS", 0.1)
    with connect(hit_server) as sock:
        sock.sendall(b"POST /a/hit HTTP/1.1\r\nHost: localhost\r\n")
        started = time.monotonic()
        assert is_closed(sock)
        assert time.monotonic() - started < 4


@writes
def test_stopping_writes_what_the_buffer_holds(settings, monkeypatch):
    """A process's SIGTERM path: the loop ends, and the buffered hits are written."""
    settings.AUDIENCE_WRITE_HITS_AT_ONCE = False
    settings.AUDIENCE_FLUSH_SECONDS = 3600
    settings.AUDIENCE_BATCH_SIZE = 1000
    settings.AUDIENCE_REDIS_URL = ""
    sock = listener.listening_socket("127.0.0.1", 0)
    server_address = sock.getsockname()
    served = threading.Thread(target=listener.serve_one, args=(sock,), daemon=True)
    monkeypatch.setattr(listener.signal, "signal", lambda *args: None)
    monkeypatch.setattr(listener.HitServer, "run", running := _run_until_asked())
    served.start()
    running.ready.wait(5)
    with socket.create_connection(server_address, timeout=5) as client_socket:
        client_socket.sendall(request_bytes(body=form()) * 3)
        assert [status for status, _h, _b in read_answers(client_socket, 3)] == [204] * 3
    assert not Hit.objects.exists()

    running.server.stop()
    served.join(timeout=10)

    assert Hit.objects.count() == 3


def _run_until_asked():
    """HitServer.run, remembering the server so that the test can stop it."""
    original = listener.HitServer.run
    ready = threading.Event()

    def run(server):
        run.server = server
        ready.set()
        original(server)

    run.ready = ready
    return run
