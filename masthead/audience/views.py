"""The hit endpoint: ``POST /a/hit`` from the counting script, ``GET /a/hit.gif`` from the
``<noscript>`` image.

Threat model. Anyone can call it, so:

- Only this site's pages count: the ``Origin`` (else ``Referer``) must be this site, or the
  answer is 400 and nothing is counted. Other sites cannot inflate figures from their
  readers' browsers (a script run by hand can still send hits, as to any counter; bots are
  left out by their user agent and headless signs).
- Bounded: a body over MAX_BODY_BYTES, a path over 500 characters or not site-relative,
  a malformed body, an unknown kind: 400, nothing counted.
- Nothing is learnt about the reader and nothing is left with them: the answer sets no
  cookie and says ``Cache-Control: no-store``; the IP address and user agent only feed the
  day's visitor id (``masthead.audience.counting``). CSRF-exempt, since the pages that send
  hits are cached whole and carry no token; the same-site check stands in for it.
- Fast: no database write in the request. The hit goes to the buffer
  (``masthead.audience.buffer``); the site is looked up once a minute per host, not per hit.

A bot's hit is answered like any other (so nothing tells it apart) but not counted.
"""

import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.http.request import split_domain_port
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from wagtail.models import Site
from wagtail.models.sites import get_site_for_hostname

from masthead.audience import buffer, counting
from masthead.audience.models import Hit
from masthead.core.origin import is_same_origin
from masthead.core.ratelimit import client_ip

MAX_BODY_BYTES = 2048
MAX_FIELDS = 20
SITE_LOOKUP_SECONDS = 60.0
# What navigator.sendBeacon sends for URLSearchParams, or a string.
FORM_TYPES = ("application/x-www-form-urlencoded", "text/plain", "")
# The smallest transparent GIF: 1x1, one colour.
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
NOT_OURS = "Hits are taken only from this site's pages."

_sites = {}


@dataclass(slots=True)
class Incoming:
    """What the hit endpoint reads of a request. Django's views build it from the request;
    the hit listener (``masthead.audience.listener``) from the HTTP it parsed itself, so
    both take hits through the same code below."""

    host: str  # validated against ALLOWED_HOSTS
    port: str
    scheme: str
    origin: str  # the Origin header, else the Referer
    referer: str
    content_type: str
    body: bytes
    query_string: str
    user_agent: str
    ip: str | None
    untracked: bool  # Sec-GPC or DNT

    @classmethod
    def from_request(cls, request, body=b""):
        meta = request.META
        return cls(
            host=request.get_host(),
            port=request.get_port(),
            scheme=request.scheme,
            origin=meta.get("HTTP_ORIGIN") or meta.get("HTTP_REFERER") or "",
            referer=meta.get("HTTP_REFERER", ""),
            content_type=request.content_type or "",
            body=body,
            query_string=meta.get("QUERY_STRING", ""),
            user_agent=meta.get("HTTP_USER_AGENT", ""),
            ip=client_ip(request),
            untracked=counting.asked_not_to_be_tracked(meta),
        )


def _site_id(host, port):
    """The Wagtail site of ``host``, looked up as Wagtail does for a request and remembered
    for a minute per host."""
    known = _sites.get(host)
    now = time.monotonic()
    if known is None or now - known[1] > SITE_LOOKUP_SECONDS:
        try:
            site = get_site_for_hostname(split_domain_port(host)[0], port)
        except Site.DoesNotExist:
            site = None
        known = (site.id if site else 0, now)
        _sites[host] = known
    return known[0]


def read_fields(content_type, body):
    """The POSTed fields as a dict of strings, from a form-encoded or JSON body."""
    if len(body) > MAX_BODY_BYTES:
        raise counting.HitRefused("The body is too large.")
    try:
        text = body.decode()
    except UnicodeDecodeError as error:
        raise counting.HitRefused("The body is not UTF-8.") from error
    if content_type == "application/json":
        try:
            data = json.loads(text)
        except ValueError as error:
            raise counting.HitRefused("The body is not JSON.") from error
        if not isinstance(data, dict) or len(data) > MAX_FIELDS:
            raise counting.HitRefused("The body must be one small JSON object.")
        return {str(key): value if isinstance(value, str) else "" for key, value in data.items()}
    if content_type not in FORM_TYPES:
        raise counting.HitRefused("Send the hit form-encoded or as JSON.")
    try:
        parsed = parse_qs(text, max_num_fields=MAX_FIELDS)
    except ValueError as error:
        raise counting.HitRefused("The body has too many fields.") from error
    return {key: values[0] for key, values in parsed.items()}


def _count(incoming, *, kind, path, referrer_url, query_string, webdriver):
    if not settings.AUDIENCE_ENABLED or counting.is_bot(incoming.user_agent, webdriver):
        return
    clean = counting.clean_path(path)
    if counting.is_private_path(clean):
        return
    hit = counting.build_hit(
        user_agent=incoming.user_agent,
        untracked=incoming.untracked,
        ip=incoming.ip,
        kind=kind,
        path=clean,
        referrer_url=referrer_url,
        query_string=query_string,
        at=timezone.now(),
        site_id=_site_id(incoming.host, incoming.port),
        host=incoming.host,
    )
    buffer.record(hit)


def take_beacon(incoming):
    """A view or read-through reported by the script: fields ``k`` (view or read), ``p``
    (location.pathname), ``q`` (location.search), ``r`` (document.referrer), ``w`` (1 when
    navigator.webdriver). Counts it and returns None, or returns why it was refused."""
    if not is_same_origin(incoming.origin, incoming.scheme, incoming.host):
        return NOT_OURS
    try:
        fields = read_fields(incoming.content_type, incoming.body)
        _count(
            incoming,
            kind=fields.get("k", Hit.Kind.VIEW),
            path=fields.get("p", ""),
            referrer_url=fields.get("r", "")[:MAX_BODY_BYTES],
            query_string=fields.get("q", ""),
            webdriver=fields.get("w") == "1",
        )
    except counting.HitRefused as refusal:
        return str(refusal)
    return None


def take_pixel(incoming):
    """A view from a browser without JavaScript: the page is the Referer (this site's, sent
    with its path and query under the site's Referrer-Policy); its own referrer is unknown.
    Counts it and returns None, or returns why it was refused."""
    too_long = len(incoming.query_string) > MAX_BODY_BYTES
    if too_long or not is_same_origin(incoming.origin, incoming.scheme, incoming.host):
        return NOT_OURS
    page = urlsplit(incoming.referer)
    try:
        _count(
            incoming,
            kind=Hit.Kind.VIEW,
            path=page.path or "/",
            referrer_url="",
            query_string=page.query,
            webdriver=False,
        )
    except counting.HitRefused as refusal:
        return str(refusal)
    return None


def _answer(response):
    # Nothing may keep an answer that says nothing: no-store is all a cache needs to know.
    response.headers["Cache-Control"] = "no-store"
    return response


def _refused(reason):
    return _answer(HttpResponse(reason, status=400, content_type="text/plain; charset=utf-8"))


@csrf_exempt
@require_POST
def hit(request):
    """``POST /a/hit`` (see ``take_beacon``)."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
        return _refused("The body is too large.")
    refusal = take_beacon(Incoming.from_request(request, request.read(MAX_BODY_BYTES + 1)))
    if refusal:
        return _refused(refusal)
    return _answer(HttpResponse(status=204))


@require_GET
def pixel(request):
    """``GET /a/hit.gif`` (see ``take_pixel``)."""
    refusal = take_pixel(Incoming.from_request(request))
    if refusal:
        return _refused(refusal)
    return _answer(HttpResponse(PIXEL, content_type="image/gif"))
