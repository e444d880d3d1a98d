"""Turning one request to the hit endpoint into one hit: who (a visitor id that lasts a day),
what (the path), from where (the referrer, grouped), how (device class) and, when a local
GeoIP file is configured, the country.

The visitor id is a keyed BLAKE2b hash of the site, the IP address and the user agent, keyed by a
random secret made for each UTC day and kept only in Django's cache (``cache.add``, so every
worker and machine sharing the cache uses the same one); it never reaches the database. The
next day brings a new secret, so yesterday's ids cannot be linked to today's. If the cache
loses the secret during the day (a restart of Redis, the local-memory cache of another
process), a new one is made: visitors after that are counted again, a small overcount that
is the price of never persisting the key. The IP address and the user agent are used here
and dropped; no hit carries them.
"""

import functools
import hashlib
import logging
import re
import secrets
import time
from datetime import UTC
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.cache import cache

from masthead.audience.models import Device, Hit, ReferrerKind

logger = logging.getLogger(__name__)

VISITOR_LENGTH = 32
SECRET_CHECK_SECONDS = 60.0
HIT_KINDS = frozenset(Hit.Kind.values)
DAILY_CACHE_PREFIX = "audience:daily-secret"
MAX_PATH_LENGTH = 500
MAX_UTM_LENGTH = 100
MAX_REFERRER_LENGTH = 200
# Paths that carry a secret (sign-in links, confirmation tokens) or are nobody's reading.
PRIVATE_PREFIXES = (
    "/account/",
    "/admin/",
    "/django-admin/",
    "/newsletter/",
    "/payments/",
    "/a/",
)

BOT_PATTERN = re.compile(
    r"bot|crawl|spider|slurp|facebookexternalhit|headlesschrome|phantomjs|python-requests|"
    r"python-urllib|curl|wget|lighthouse|pagespeed|preview|scrapy|httpclient|go-http-client|"
    r"java/|okhttp|axios|node-fetch|ahrefs|semrush|mj12|feedfetcher|monitor|uptime|selenium|"
    r"puppeteer|playwright",
)
# Matched against the lower-cased user agent: re.IGNORECASE makes these alternations about
# twenty times slower, and they run on every hit.
TABLET_PATTERN = re.compile(r"ipad|tablet|kindle|silk/|playbook|sm-t\d")
MOBILE_PATTERN = re.compile(
    r"mobi|iphone|ipod|android|blackberry|opera mini|windows phone|iemobile"
)

# Search engines known by the name they carry in their domain (google.co.uk, yandex.ru).
SEARCH_ENGINE_LABELS = {
    "google": "Google",
    "bing": "Bing",
    "duckduckgo": "DuckDuckGo",
    "ecosia": "Ecosia",
    "yahoo": "Yahoo",
    "yandex": "Yandex",
    "baidu": "Baidu",
    "qwant": "Qwant",
    "startpage": "Startpage",
}
SEARCH_ENGINE_HOSTS = {"search.brave.com": "Brave Search"}
SOCIAL_NETWORK_DOMAINS = {
    "facebook.com": "Facebook",
    "fb.com": "Facebook",
    "fb.me": "Facebook",
    "messenger.com": "Facebook",
    "t.co": "X (Twitter)",
    "twitter.com": "X (Twitter)",
    "x.com": "X (Twitter)",
    "linkedin.com": "LinkedIn",
    "lnkd.in": "LinkedIn",
    "reddit.com": "Reddit",
    "redd.it": "Reddit",
    "bsky.app": "Bluesky",
    "threads.net": "Threads",
    "threads.com": "Threads",
    "instagram.com": "Instagram",
    "youtube.com": "YouTube",
    "youtu.be": "YouTube",
    "tiktok.com": "TikTok",
    "whatsapp.com": "WhatsApp",
    "wa.me": "WhatsApp",
    "t.me": "Telegram",
    "telegram.org": "Telegram",
    "telegram.me": "Telegram",
}
# Second-level labels under which country domains register names (google.co.uk).
COUNTRY_SECOND_LEVELS = {"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or"}
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")
CAMPAIGN_PARAMETER = "mh_campaign"


class HitRefused(ValueError):
    """The hit is malformed or hostile; it is answered 400 and not counted."""


# --- Visitor id ---------------------------------------------------------------------------------


def daily_secret(day):
    """The secret for ``day`` (a date, UTC), made at the first hit of the day and shared by
    every worker through the cache; a cache that loses it makes a new one. Each process
    keeps it in memory and re-reads the cache every SECRET_CHECK_SECONDS, so a hit costs no
    cache round trip and all processes agree again soon after the cache lost it."""
    now = time.monotonic()
    known = _process_secrets.get(day)
    if known is not None and now - known[1] < SECRET_CHECK_SECONDS:
        return known[0]
    key = f"{DAILY_CACHE_PREFIX}:{day.isoformat()}"
    # Two days: a hit just before midnight UTC still finds it, and it expires on its own.
    cache.add(key, secrets.token_hex(32), timeout=2 * 86400)
    secret = cache.get(key)
    if secret is None:
        # The cache is unreachable: this process's own secret for the day, until it is back.
        secret = known[0] if known is not None else secrets.token_hex(32)
    _process_secrets.clear()
    _process_secrets[day] = (secret, now)
    return secret


_process_secrets = {}


def visitor_id(site_id, ip, user_agent, at):
    """A keyed hash of site, IP address and user agent, the key being ``at``'s day's
    secret: the same visitor within one UTC day, and no link to any other day."""
    mac = _keyed(daily_secret(at.astimezone(UTC).date())).copy()
    mac.update(f"{site_id}|{ip or ''}|{user_agent}".encode())
    return mac.hexdigest()


@functools.lru_cache(maxsize=2)
def _keyed(secret):
    # Keyed BLAKE2b (a MAC by design, and a fifth of HMAC-SHA256's cost per hit), keyed once
    # per secret; each hit copies the state. 16 bytes: VISITOR_LENGTH hex digits.
    return hashlib.blake2b(key=secret.encode()[:64], digest_size=VISITOR_LENGTH // 2)


def asked_not_to_be_tracked(meta):
    """Global Privacy Control or Do Not Track in a request's META (see ``declines``)."""
    return declines(meta.get("HTTP_SEC_GPC", ""), meta.get("HTTP_DNT", ""))


def declines(sec_gpc, dnt):
    """Whether the Sec-GPC and DNT header values ask not to be tracked: the view counts, the
    visitor does not."""
    return sec_gpc.strip() == "1" or dnt.strip() == "1"


# --- Bots and devices ---------------------------------------------------------------------------


def is_bot(user_agent, webdriver=False):
    """Crawlers, monitors, scripts and headless browsers: an empty user agent, a known
    word in it, or a browser that says it is driven by automation."""
    return webdriver or _is_bot_agent(user_agent)


@functools.lru_cache(maxsize=4096)
def _is_bot_agent(user_agent):
    return not user_agent.strip() or bool(BOT_PATTERN.search(user_agent.lower()))


@functools.lru_cache(maxsize=4096)
def device_class(user_agent):
    user_agent = user_agent.lower()
    if TABLET_PATTERN.search(user_agent):
        return Device.TABLET
    if MOBILE_PATTERN.search(user_agent):
        # Android phones say "Mobile"; Android tablets do not.
        if "android" in user_agent and "mobile" not in user_agent:
            return Device.TABLET
        return Device.MOBILE
    return Device.DESKTOP


# --- Path, referrer, campaign -------------------------------------------------------------------


def clean_path(path):
    """A site-relative path, or HitRefused. Query and fragment are not part of it."""
    if not isinstance(path, str) or not path.startswith("/") or path.startswith("//"):
        raise HitRefused("The path must be a site-relative path.")
    if len(path) > MAX_PATH_LENGTH:
        raise HitRefused(f"The path is longer than {MAX_PATH_LENGTH} characters.")
    if CONTROL_CHARACTERS.search(path):
        raise HitRefused("The path contains control characters.")
    return urlsplit(path).path or "/"


def is_private_path(path):
    return path.startswith(PRIVATE_PREFIXES)


def _host_of(url):
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""
    if not host or len(host) > 253:
        return ""
    for prefix in ("www.", "m.", "l.", "lm.", "mobile."):
        if host.startswith(prefix) and host.count(".") > 1:
            host = host[len(prefix) :]
            break
    return host


def _name_label(host):
    labels = host.split(".")
    if len(labels) >= 3 and labels[-2] in COUNTRY_SECOND_LEVELS:
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else host


def _matches_domain(host, domain):
    return host == domain or host.endswith("." + domain)


def group_referrer(referrer_url, own_hosts):
    """``(referrer, kind)``: blank and direct with no referrer; internal from this site;
    a search engine's or social network's name; else the other site's host alone."""
    if not referrer_url:
        return "", ReferrerKind.DIRECT
    return _group_referrer(referrer_url, frozenset(own_hosts))


@functools.lru_cache(maxsize=4096)
def _group_referrer(referrer_url, own_hosts):
    if not referrer_url:
        return "", ReferrerKind.DIRECT
    host = _host_of(referrer_url)
    if not host:
        return "", ReferrerKind.DIRECT
    if host in own_hosts:
        return "", ReferrerKind.INTERNAL
    if host in SEARCH_ENGINE_HOSTS:
        return SEARCH_ENGINE_HOSTS[host], ReferrerKind.SEARCH
    label = _name_label(host)
    if label in SEARCH_ENGINE_LABELS:
        return SEARCH_ENGINE_LABELS[label], ReferrerKind.SEARCH
    for domain, name in SOCIAL_NETWORK_DOMAINS.items():
        if _matches_domain(host, domain):
            return name, ReferrerKind.SOCIAL
    return host[:MAX_REFERRER_LENGTH], ReferrerKind.OTHER


def own_hosts(request, host=None):
    """This site's hosts: SITE_URL's and the one the request came to (``host``, when the
    caller already has ``request.get_host()``)."""
    return _own_hosts(settings.SITE_URL, host or request.get_host())


@functools.lru_cache(maxsize=64)
def _own_hosts(site_url, request_host):
    return frozenset(filter(None, (_host_of(site_url), _host_of(f"//{request_host}"))))


def campaign_fields(query_string):
    """UTM source/medium/campaign (truncated) and the newsletter campaign id from a page's
    query string."""
    if not query_string or query_string == "?":
        return {**dict.fromkeys(UTM_FIELDS, ""), "campaign_id": None}
    try:
        query = parse_qs(query_string.lstrip("?"), max_num_fields=50)
    except ValueError as error:
        raise HitRefused("The query string has too many fields.") from error
    fields = {name: _clean_text(query.get(name, [""])[0])[:MAX_UTM_LENGTH] for name in UTM_FIELDS}
    campaign = query.get(CAMPAIGN_PARAMETER, [""])[0]
    fields["campaign_id"] = int(campaign) if campaign.isdigit() and len(campaign) < 10 else None
    return fields


def _clean_text(value):
    return "".join(character for character in value if character.isprintable()).strip()


# --- Country ------------------------------------------------------------------------------------

_geoip = {"path": None, "reader": None}


def country_of(ip):
    """The ISO country code of ``ip`` from AUDIENCE_GEOIP_PATH with ``maxminddb``; blank
    when no file is configured, the module is not installed or the address is unknown."""
    path = settings.AUDIENCE_GEOIP_PATH
    if not path or not ip:
        return ""
    reader = _geoip_reader(path)
    if reader is None:
        return ""
    try:
        record = reader.get(ip) or {}
    except ValueError:
        return ""
    return ((record.get("country") or {}).get("iso_code") or "")[:2]


def _geoip_reader(path):
    if _geoip["path"] == path:
        return _geoip["reader"]
    try:
        import maxminddb

        reader = maxminddb.open_database(path)
    except (ImportError, OSError, ValueError):
        logger.warning("Audience: no GeoIP country lookups (%s cannot be read)", path)
        reader = None
    _geoip.update(path=path, reader=reader)
    return reader


# --- The hit ------------------------------------------------------------------------------------


def build_hit(
    *, user_agent, untracked, ip, kind, path, referrer_url, query_string, at, site_id, host
):
    """The hit as a dict of Hit's fields (page_id is resolved when the buffer writes it).
    ``ip`` is as ``core.ratelimit.client_ip`` gives it (normalised, or None); ``untracked``
    is whether the reader asked not to be tracked (the visitor is then not counted); ``host``
    is the validated host the hit came to."""
    if kind not in HIT_KINDS:
        raise HitRefused("Unknown kind of hit.")
    path = clean_path(path)
    referrer, referrer_kind = group_referrer(referrer_url, _own_hosts(settings.SITE_URL, host))
    fields = campaign_fields(query_string)
    if fields["campaign_id"] is not None:
        referrer_kind = ReferrerKind.NEWSLETTER
    visitor = "" if untracked else visitor_id(site_id, ip or "", user_agent, at)
    return {
        "at": at,
        "kind": kind,
        "site_id": site_id,
        "path": path,
        "visitor": visitor,
        "referrer": referrer,
        "referrer_kind": referrer_kind,
        "device": device_class(user_agent),
        "country": country_of(ip),
        **fields,
    }
