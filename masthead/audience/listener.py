"""The hit listener: a small HTTP/1.1 server that takes only ``/a/hit`` and ``/a/hit.gif``.

Why a process of its own. Every page view sends one hit, so on a busy day hits outnumber
every other request. Answered by the web server, a hit pays gunicorn's per-request cost
(a thread hand-over, WSGI, the middleware stack's entry) for a few microseconds of work:
about 900 hits/s on two cores, against the thousands of pages/s the page cache serves. In
production nginx sends the two hit paths here instead (``deploy/nginx-masthead.conf``) and
gunicorn never sees them; without this process (the demo, tests) they are answered by
Django as before, through ``HitMiddleware``.

What it runs is the same code as Django's views: each request becomes the views'
``Incoming`` and goes to ``take_beacon`` or ``take_pixel`` (``masthead.audience.views``),
with the same checks (allowed hosts as Django validates them, same-site origin, body
limits, bots, Sec-GPC/DNT), the same visitor id and the same buffer (batches to the
database or to Redis, ``masthead.audience.buffer``). Only the HTTP layer is its own, and it
is deliberately narrow:

- one thread per process, non-blocking sockets on ``selectors`` (epoll), keep-alive;
- requests must carry a ``Content-Length`` (``sendBeacon``, ``fetch`` and nginx do); chunked
  bodies get 411, a head over MAX_HEAD_BYTES gets 431, a declared body over MAX_BODY_BYTES
  413, a malformed request line 400, other methods or paths 405/404, and each closes the
  connection where the stream can no longer be trusted;
- a connection that has not sent a whole head within HEAD_SECONDS, or sits idle for
  IDLE_SECONDS, is closed (slow clients cannot hold connections), and a process keeps at
  most MAX_CONNECTIONS;
- ``--processes N`` forks N copies sharing the listening socket; SIGTERM stops accepting,
  finishes the requests already read, and writes the buffered hits before exiting.

The views' database use is the site lookup, once a minute per host; the hits themselves
are written by the buffer's own thread.
"""

import contextlib
import errno
import functools
import logging
import os
import selectors
import signal
import socket
import time
from http import HTTPStatus
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.db import close_old_connections, connections
from django.http.request import split_domain_port, validate_host
from django.urls import reverse

from masthead.audience import buffer, counting, views
from masthead.core.ratelimit import address_from

logger = logging.getLogger(__name__)

MAX_HEAD_BYTES = 8192
# The views refuse bodies over views.MAX_BODY_BYTES with a 400; a declared length beyond
# this is not even read.
MAX_BODY_BYTES = 16384
HEAD_SECONDS = 10.0
IDLE_SECONDS = 60.0
MAX_CONNECTIONS = 4096
SWEEP_SECONDS = 1.0
# How often stale database connections (the site lookup's) are closed, as Django does at
# the end of each request.
CONNECTION_CHECK_SECONDS = 30.0
READ_SIZE = 65536


def routes():
    """The two paths this server answers: path -> (method, take function, answer)."""
    return {
        reverse("audience:hit"): ("POST", views.take_beacon, NO_CONTENT),
        reverse("audience:pixel"): ("GET", views.take_pixel, PIXEL),
    }


class BadRequest(Exception):
    """The request cannot be read: answered with ``status`` and the connection closed."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def parse_head(head):
    """The method, target, protocol and headers of a request head (bytes, without the
    blank line). Header names with underscores are dropped, as gunicorn and Django's
    runserver do, so that ``X_Forwarded_For`` cannot pass for ``X-Forwarded-For``."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest(HTTPStatus.BAD_REQUEST, "Malformed request line.")
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise BadRequest(HTTPStatus.BAD_REQUEST, "Malformed header.")
        if "_" in name:
            continue
        name = name.lower()
        value = value.strip()
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return parts[0], parts[1], parts[2], headers


@functools.lru_cache(maxsize=256)
def _allowed_host(raw_host, allowed_hosts):
    domain, _port = split_domain_port(raw_host)
    return bool(domain) and validate_host(domain, allowed_hosts)


def validated_host(headers, server_address):
    """The request's host as Django's ``request.get_host()`` gives it, or BadRequest."""
    raw = None
    if settings.USE_X_FORWARDED_HOST:
        raw = headers.get("x-forwarded-host")
    raw = raw or headers.get("host") or f"{server_address[0]}:{server_address[1]}"
    allowed = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed:
        allowed = [".localhost", "127.0.0.1", "[::1]"]
    if not _allowed_host(raw, tuple(allowed)):
        raise BadRequest(HTTPStatus.BAD_REQUEST, "The hit was refused.")
    return raw


def scheme_of(headers):
    """``request.scheme`` as Django gives it behind SECURE_PROXY_SSL_HEADER."""
    if settings.SECURE_PROXY_SSL_HEADER:
        name, secure = settings.SECURE_PROXY_SSL_HEADER
        header = name.removeprefix("HTTP_").replace("_", "-").lower()
        if headers.get(header, "").split(",")[0].strip() == secure:
            return "https"
    return "http"


def incoming_for(headers, query, body, remote_address, server_address):
    """The views' ``Incoming`` for one parsed request."""
    return views.Incoming(
        host=validated_host(headers, server_address),
        port=str(server_address[1]),
        scheme=scheme_of(headers),
        origin=headers.get("origin") or headers.get("referer") or "",
        referer=headers.get("referer", ""),
        content_type=headers.get("content-type", "").split(";")[0].strip().lower(),
        body=body,
        query_string=query,
        user_agent=headers.get("user-agent", ""),
        ip=address_from(remote_address, headers.get("x-forwarded-for", "")),
        untracked=counting.declines(headers.get("sec-gpc", ""), headers.get("dnt", "")),
    )


def answer_bytes(status, headers, body, keep_alive):
    """An HTTP/1.1 answer; every one says ``Cache-Control: no-store`` as the views' do."""
    lines = [f"HTTP/1.1 {status.value} {status.phrase}", "Cache-Control: no-store"]
    lines.extend(headers)
    if status != HTTPStatus.NO_CONTENT:
        lines.append(f"Content-Length: {len(body)}")
    lines.append("X-Content-Type-Options: nosniff")
    lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


NO_CONTENT = {
    keep_alive: answer_bytes(HTTPStatus.NO_CONTENT, [], b"", keep_alive)
    for keep_alive in (True, False)
}
PIXEL = {
    keep_alive: answer_bytes(HTTPStatus.OK, ["Content-Type: image/gif"], views.PIXEL, keep_alive)
    for keep_alive in (True, False)
}


def plain_answer(status, message, keep_alive=False, headers=()):
    """A short text answer: a refusal, or why nothing was counted."""
    headers = ["Content-Type: text/plain; charset=utf-8", *headers]
    return answer_bytes(status, headers, message.encode(), keep_alive)


class Connection:
    """One client connection: what it sent and not yet answered, and what waits to go."""

    __slots__ = ("address", "closing", "head_since", "last_seen", "outgoing", "received", "sock")

    def __init__(self, sock, address, now):
        self.sock = sock
        self.address = address
        self.received = bytearray()
        self.outgoing = bytearray()
        self.closing = False
        self.last_seen = now
        self.head_since = None


class HitServer:
    """The event loop of one process."""

    def __init__(self, listening):
        self.listening = listening
        self.listening.setblocking(False)
        self.server_address = listening.getsockname()[:2]
        self.routes = routes()
        self.selector = selectors.DefaultSelector()
        self.connections = {}
        self.running = False
        # Written to by ``stop`` so that a loop waiting in select() wakes at once.
        self.wake_reader, self.wake_writer = socket.socketpair()
        self.wake_reader.setblocking(False)
        self.wake_writer.setblocking(False)

    # --- Requests ----------------------------------------------------------------------------

    def answer(self, connection):
        """Answer every whole request ``connection`` has received (pipelined ones in order)."""
        data = connection.received
        while data and not connection.closing:
            end = data.find(b"\r\n\r\n")
            if end < 0:
                if len(data) > MAX_HEAD_BYTES:
                    raise BadRequest(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Head too large.")
                if connection.head_since is None:
                    connection.head_since = time.monotonic()
                return
            if end > MAX_HEAD_BYTES:
                raise BadRequest(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Head too large.")
            method, target, protocol, headers = parse_head(bytes(data[:end]))
            length = self.body_length(headers)
            if len(data) < end + 4 + length:
                if connection.head_since is None:
                    connection.head_since = time.monotonic()
                return
            body = bytes(data[end + 4 : end + 4 + length])
            del data[: end + 4 + length]
            connection.head_since = None
            keep_alive = self.keeps_alive(protocol, headers)
            connection.outgoing += self.respond(
                method, target, headers, body, connection.address, keep_alive
            )
            if not keep_alive:
                connection.closing = True

    @staticmethod
    def body_length(headers):
        if "transfer-encoding" in headers:
            raise BadRequest(HTTPStatus.LENGTH_REQUIRED, "Send the hit with a Content-Length.")
        declared = headers.get("content-length", "0")
        if not declared.isdigit():
            raise BadRequest(HTTPStatus.BAD_REQUEST, "Malformed Content-Length.")
        if int(declared) > MAX_BODY_BYTES:
            raise BadRequest(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "The body is too large.")
        return int(declared)

    @staticmethod
    def keeps_alive(protocol, headers):
        wanted = headers.get("connection", "").lower()
        if protocol == "HTTP/1.0":
            return wanted == "keep-alive"
        return wanted != "close"

    def respond(self, method, target, headers, body, remote_address, keep_alive):
        path, _question, query = target.partition("?")
        route = self.routes.get(unquote_to_bytes(path).decode("latin-1"))
        if route is None:
            return plain_answer(HTTPStatus.NOT_FOUND, "Only hits are taken here.", keep_alive)
        allowed_method, take, answers = route
        if method != allowed_method:
            return plain_answer(
                HTTPStatus.METHOD_NOT_ALLOWED, "", keep_alive, [f"Allow: {allowed_method}"]
            )
        incoming = incoming_for(headers, query, body, remote_address, self.server_address)
        try:
            refusal = take(incoming)
        except Exception:
            logger.exception("Audience listener: the hit could not be taken")
            return plain_answer(HTTPStatus.INTERNAL_SERVER_ERROR, "The hit could not be taken.")
        if refusal:
            return plain_answer(HTTPStatus.BAD_REQUEST, refusal, keep_alive)
        return answers[keep_alive]

    # --- Sockets -----------------------------------------------------------------------------

    def accept(self):
        while True:
            try:
                sock, address = self.listening.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:
                # Out of file descriptors and the like: try again on the next event.
                if error.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    logger.warning("Audience listener: cannot accept (%s)", error)
                    return
                raise
            if len(self.connections) >= MAX_CONNECTIONS:
                sock.close()
                continue
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection = Connection(sock, address[0] if address else "", time.monotonic())
            self.connections[sock.fileno()] = connection
            self.selector.register(sock, selectors.EVENT_READ, connection)

    def readable(self, connection):
        try:
            chunk = connection.sock.recv(READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.close(connection)
            return
        if not chunk:
            self.close(connection)
            return
        connection.last_seen = time.monotonic()
        connection.received += chunk
        try:
            self.answer(connection)
        except BadRequest as refusal:
            connection.outgoing += plain_answer(refusal.status, str(refusal))
            connection.received.clear()
            connection.closing = True
        self.send(connection)

    def send(self, connection):
        if connection.outgoing:
            try:
                sent = connection.sock.send(connection.outgoing)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self.close(connection)
                return
            del connection.outgoing[:sent]
        if connection.outgoing:
            # Wait until the client reads before reading more from it.
            self.selector.modify(connection.sock, selectors.EVENT_WRITE, connection)
            return
        if connection.closing:
            self.close(connection)
            return
        self.selector.modify(connection.sock, selectors.EVENT_READ, connection)

    def close(self, connection):
        fileno = connection.sock.fileno()
        if self.connections.pop(fileno, None) is None:
            return
        self.selector.unregister(connection.sock)
        connection.sock.close()

    def sweep(self, now):
        """Close connections that stalled halfway through a head or sat idle too long."""
        for connection in list(self.connections.values()):
            stalled = (
                connection.head_since is not None and now - connection.head_since > HEAD_SECONDS
            )
            if stalled or now - connection.last_seen > IDLE_SECONDS:
                self.close(connection)

    def stop(self, *_signal_arguments):
        self.running = False
        # A wake already pending (a full socket buffer) is as good as this one.
        with contextlib.suppress(OSError):
            self.wake_writer.send(b"\0")

    def run(self):
        """Serve until ``stop`` (SIGTERM or SIGINT in a process of its own)."""
        self.running = True
        self.selector.register(self.listening, selectors.EVENT_READ, None)
        self.selector.register(self.wake_reader, selectors.EVENT_READ, self.wake_reader)
        swept = checked = time.monotonic()
        while self.running:
            for key, events in self.selector.select(timeout=SWEEP_SECONDS):
                if key.data is None:
                    self.accept()
                elif key.data is self.wake_reader:
                    continue
                elif events & selectors.EVENT_WRITE:
                    self.send(key.data)
                else:
                    self.readable(key.data)
            now = time.monotonic()
            if now - swept >= SWEEP_SECONDS:
                self.sweep(now)
                swept = now
            if now - checked >= CONNECTION_CHECK_SECONDS:
                close_old_connections()
                checked = now
        self.selector.unregister(self.listening)
        self.selector.unregister(self.wake_reader)
        self.wake_reader.close()
        self.wake_writer.close()
        for connection in list(self.connections.values()):
            self.close(connection)
        self.selector.close()


def listening_socket(host, port, backlog=2048):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=backlog)


def serve_one(listening):
    """Run one process's loop until SIGTERM/SIGINT, then write what it buffered."""
    server = HitServer(listening)
    signal.signal(signal.SIGTERM, server.stop)
    signal.signal(signal.SIGINT, server.stop)
    try:
        server.run()
    finally:
        buffer.hits.flush()
        connections.close_all()


def serve(host, port, processes=1):
    """Listen on ``host:port`` with ``processes`` processes (forked, sharing the socket).

    The parent only supervises: it restarts a process that dies and, on SIGTERM or SIGINT,
    stops them all and waits for them to write their hits."""
    listening = listening_socket(host, port)
    logger.info("Audience listener on %s:%s, %s process(es)", host, port, processes)
    if processes <= 1:
        serve_one(listening)
        return
    # No database connection may be shared with the children.
    connections.close_all()
    children = set()
    stopping = False

    def spawn():
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                serve_one(listening)
            except BaseException:
                logger.exception("Audience listener process failed")
                code = 1
            os._exit(code)
        children.add(pid)

    def stop(*_signal_arguments):
        nonlocal stopping
        stopping = True
        for pid in children:
            os.kill(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(processes):
        spawn()
    while children:
        try:
            pid, _status = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        children.discard(pid)
        if not stopping:
            logger.warning("Audience listener process %s stopped; starting another", pid)
            time.sleep(0.5)
            spawn()
    listening.close()
