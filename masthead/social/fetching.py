"""Talking to other servers: one pooled HTTP client, and the check that keeps a remote
address from pointing Masthead at its own network (SSRF).

Every URL Masthead fetches or posts to came from a stranger (an actor document, a key id), so
each host is resolved and refused when any of its addresses is loopback, private, link-local,
reserved or multicast, unless SOCIAL_ALLOW_PRIVATE_ADDRESSES is on (the tests' fake fediverse
lives on loopback; production refuses to start with it). Only http and https are spoken, and
redirects are not followed (a redirect could lead past the check).

The check is made twice: on the name before a request (a clear error, no connection), and
on the address each new connection actually reached, so a name that resolves to a public
address for the check and to a private one a moment later (DNS rebinding) still cannot
reach the machine's own network. Deliveries, which post to inboxes named in actor
documents, are covered by the second check.

The client is a urllib3 pool manager shared by the threads of a process: connections to one
host are kept alive and reused across deliveries.
"""

import ipaddress
import json
import socket
from urllib.parse import urlsplit

import urllib3
import urllib3.connection
from django.conf import settings

ACTIVITY_JSON = "application/activity+json"
LD_JSON = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
ACCEPT_ACTIVITY = f"{ACTIVITY_JSON}, {LD_JSON}"
# Actor documents and activities larger than this are refused.
MAX_DOCUMENT_BYTES = 1024 * 1024
USER_AGENT = "Masthead (ActivityPub; +https://www.w3.org/TR/activitypub/)"

_pool = None


def _is_public(address):
    ip = ipaddress.ip_address(address.split("%")[0])
    return ip.is_global and not ip.is_multicast


class _PublicAddressesOnly:
    """A connection that refuses to talk to a non-public address once connected."""

    def _new_conn(self):
        sock = super()._new_conn()
        if not settings.SOCIAL_ALLOW_PRIVATE_ADDRESSES:
            address = sock.getpeername()[0]
            if not _is_public(address):
                sock.close()
                raise urllib3.exceptions.NewConnectionError(
                    self, f"{self.host} is at a non-public address ({address})"
                )
        return sock


class PublicHTTPConnection(_PublicAddressesOnly, urllib3.connection.HTTPConnection):
    pass


class PublicHTTPSConnection(_PublicAddressesOnly, urllib3.connection.HTTPSConnection):
    pass


class PublicHTTPConnectionPool(urllib3.HTTPConnectionPool):
    ConnectionCls = PublicHTTPConnection


class PublicHTTPSConnectionPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = PublicHTTPSConnection


class FetchError(Exception):
    """A remote document could not be fetched or was not acceptable."""


def http_pool():
    """The process's shared connection pool (made on first use, sized for the delivery
    threads so that none waits for a connection to a host)."""
    global _pool
    if _pool is None:
        size = max(settings.SOCIAL_DELIVERY_THREADS, 1)
        pool = urllib3.PoolManager(num_pools=4 * size, maxsize=size, retries=False)
        pool.pool_classes_by_scheme = {
            "http": PublicHTTPConnectionPool,
            "https": PublicHTTPSConnectionPool,
        }
        _pool = pool
    return _pool


def check_public_url(url):
    """Refuse ``url`` unless it is http(s) on a host whose every address is public."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"Not an http(s) address: {url[:200]}")
    if settings.SOCIAL_ALLOW_PRIVATE_ADDRESSES:
        return
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port)}
    except (OSError, UnicodeError) as error:
        raise FetchError(f"Cannot resolve {parts.hostname}") from error
    if not all(_is_public(address) for address in addresses):
        raise FetchError(f"{parts.hostname} resolves to a non-public address")


def fetch_json(url, headers):
    """GET ``url`` (already signed in ``headers`` when it should be) and parse its JSON."""
    check_public_url(url)
    try:
        response = http_pool().request(
            "GET",
            url,
            headers={"Accept": ACCEPT_ACTIVITY, "User-Agent": USER_AGENT, **headers},
            timeout=settings.SOCIAL_DELIVERY_TIMEOUT_SECONDS,
            redirect=False,
            preload_content=False,
        )
        try:
            body = response.read(MAX_DOCUMENT_BYTES + 1)
        finally:
            response.release_conn()
    except urllib3.exceptions.HTTPError as error:
        raise FetchError(f"Fetching {url[:200]} failed: {error}") from error
    if response.status != 200:
        raise FetchError(f"Fetching {url[:200]} answered {response.status}")
    if len(body) > MAX_DOCUMENT_BYTES:
        raise FetchError(f"{url[:200]} is too large")
    try:
        document = json.loads(body)
    except ValueError as error:
        raise FetchError(f"{url[:200]} is not JSON") from error
    if not isinstance(document, dict):
        raise FetchError(f"{url[:200]} is not a JSON object")
    return document


def post(url, body, headers):
    """POST ``body`` to ``url``; return the status code (raises urllib3's errors)."""
    response = http_pool().request(
        "POST",
        url,
        body=body,
        headers={"Content-Type": ACTIVITY_JSON, "User-Agent": USER_AGENT, **headers},
        timeout=settings.SOCIAL_DELIVERY_TIMEOUT_SECONDS,
        redirect=False,
        preload_content=False,
    )
    try:
        response.drain_conn()
    finally:
        response.release_conn()
    return response.status
