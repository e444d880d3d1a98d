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
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from wagtail.models import Site

from masthead.audience import buffer, counting
from masthead.core.origin import is_same_site
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

_sites = {}


def _site_id(request, host):
    """The Wagtail site of the request's host, remembered for a minute per host."""
    known = _sites.get(host)
    now = time.monotonic()
    if known is None or now - known[1] > SITE_LOOKUP_SECONDS:
        site = Site.find_for_request(request)
        known = (site.id if site else 0, now)
        _sites[host] = known
    return known[0]


def _answer(response):
    # Nothing may keep an answer that says nothing: no-store is all a cache needs to know.
    response.headers["Cache-Control"] = "no-store"
    return response


def _refused(reason):
    return _answer(HttpResponseBadRequest(reason, content_type="text/plain; charset=utf-8"))


def _read_fields(request):
    """The POSTed fields as a dict of strings, from a form-encoded or JSON body."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
        raise counting.HitRefused("The body is too large.")
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise counting.HitRefused("The body is too large.")
    try:
        text = body.decode()
    except UnicodeDecodeError as error:
        raise counting.HitRefused("The body is not UTF-8.") from error
    if request.content_type == "application/json":
        try:
            data = json.loads(text)
        except ValueError as error:
            raise counting.HitRefused("The body is not JSON.") from error
        if not isinstance(data, dict) or len(data) > MAX_FIELDS:
            raise counting.HitRefused("The body must be one small JSON object.")
        return {str(key): value if isinstance(value, str) else "" for key, value in data.items()}
    if request.content_type not in FORM_TYPES:
        raise counting.HitRefused("Send the hit form-encoded or as JSON.")
    try:
        parsed = parse_qs(text, max_num_fields=MAX_FIELDS)
    except ValueError as error:
        raise counting.HitRefused("The body has too many fields.") from error
    return {key: values[0] for key, values in parsed.items()}


def _count(request, host, *, kind, path, referrer_url, query_string, webdriver):
    user_agent = request.META.get("HTTP_USER_AGENT", "")
    if not settings.AUDIENCE_ENABLED or counting.is_bot(user_agent, webdriver):
        return
    clean = counting.clean_path(path)
    if counting.is_private_path(clean):
        return
    hit = counting.build_hit(
        request=request,
        ip=client_ip(request),
        kind=kind,
        path=clean,
        referrer_url=referrer_url,
        query_string=query_string,
        at=timezone.now(),
        site_id=_site_id(request, host),
        host=host,
    )
    buffer.record(hit)


@csrf_exempt
@require_POST
def hit(request):
    """A view or read-through reported by the script: fields ``k`` (view or read), ``p``
    (location.pathname), ``q`` (location.search), ``r`` (document.referrer), ``w`` (1 when
    navigator.webdriver)."""
    host = request.get_host()
    if not is_same_site(request, host):
        return _refused("Hits are taken only from this site's pages.")
    try:
        fields = _read_fields(request)
        _count(
            request,
            host,
            kind=fields.get("k", "view"),
            path=fields.get("p", ""),
            referrer_url=fields.get("r", "")[:MAX_BODY_BYTES],
            query_string=fields.get("q", ""),
            webdriver=fields.get("w") == "1",
        )
    except counting.HitRefused as refusal:
        return _refused(str(refusal))
    return _answer(HttpResponse(status=204))


@require_GET
def pixel(request):
    """A view from a browser without JavaScript: the page is the Referer (this site's, sent
    with its path and query under the site's Referrer-Policy); its own referrer is unknown."""
    host = request.get_host()
    too_long = len(request.META.get("QUERY_STRING", "")) > MAX_BODY_BYTES
    if too_long or not is_same_site(request, host):
        return _refused("Hits are taken only from this site's pages.")
    page = urlsplit(request.META.get("HTTP_REFERER", ""))
    try:
        _count(
            request,
            host,
            kind="view",
            path=page.path or "/",
            referrer_url="",
            query_string=page.query,
            webdriver=False,
        )
    except counting.HitRefused as refusal:
        return _refused(str(refusal))
    return _answer(HttpResponse(PIXEL, content_type="image/gif"))
