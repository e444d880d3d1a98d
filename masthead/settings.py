"""Masthead's one settings module, driven by environment variables.

With nothing set, Masthead runs as a demo: SQLite and media files under
``MASTHEAD_DATA_DIR`` (``./var``), a file cache, and emails printed to the
console. ``MASTHEAD_MODE=production`` turns on the production checks: it refuses
to start without a real ``SECRET_KEY`` and ``ALLOWED_HOSTS``.
"""

import hashlib
import ipaddress
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent


def env(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def env_megabytes(name, default):
    value = env(name, default).strip()
    if not value.isdigit():
        raise ImproperlyConfigured(f"{name} must be a whole number of megabytes, not {value!r}.")
    return int(value)


MODE = env("MASTHEAD_MODE", "demo").lower()
if MODE not in {"demo", "development", "production"}:
    raise ImproperlyConfigured("MASTHEAD_MODE must be demo, development or production.")
PRODUCTION = MODE == "production"
# For the test suite (the Makefile sets MASTHEAD_TESTING=1) the defaults change: a throwaway
# data directory, an in-process cache and mailbox, and tasks that run at once (explicit
# environment variables still win).
TESTING = env_bool("MASTHEAD_TESTING")

DEFAULT_DATA_DIR = BASE_DIR / "var" / ("test" if TESTING else "")
DATA_DIR = Path(env("MASTHEAD_DATA_DIR", str(DEFAULT_DATA_DIR))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

# --- Secrets and hosts ---------------------------------------------------------------------------

_DEMO_SECRET_KEY = "masthead-demo-key-not-for-production"  # noqa: S105 - refused in production
SECRET_KEY = env("SECRET_KEY", _DEMO_SECRET_KEY)
# Earlier keys, still accepted for signatures made with them (links in emails already sent,
# sessions) while a new SECRET_KEY takes over: comma-separated, newest first.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
DEBUG = env_bool("DEBUG", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

if PRODUCTION:
    if SECRET_KEY == _DEMO_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            "Production mode needs a real SECRET_KEY (at least 50 random characters). "
            "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(64))'"
        )
    if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "Production mode needs ALLOWED_HOSTS, e.g. ALLOWED_HOSTS=news.example.org"
        )
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off in production mode.")
    # Without it a shell that never loaded the service's environment would migrate (and
    # serve) a new, empty SQLite file under MASTHEAD_DATA_DIR instead of the real database.
    if not env("DATABASE_URL"):
        raise ImproperlyConfigured(
            "Production mode needs DATABASE_URL and does not fall back to SQLite; load the "
            "service's environment first: set -a; . /etc/masthead/masthead.env; set +a"
        )

# --- Applications --------------------------------------------------------------------------------

INSTALLED_APPS = [
    "masthead.core",
    "masthead.accounts",
    "masthead.publishing",
    "masthead.readers",
    "masthead.audience",
    "masthead.newsletter",
    "masthead.social",
    "masthead.payments",
    "masthead.donations",
    "masthead.shop",
    "masthead.transfer",
    "wagtail.contrib.settings",
    "wagtail.contrib.redirects",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail.api.v2",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "rest_framework",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    # First, so every log line and every response (a cached page's too) carries the id.
    "masthead.core.request_id.RequestIdMiddleware",
    # Counts every response; answers /metrics, like the health check, before the host check.
    "masthead.core.metrics.MetricsMiddleware",
    # Answers the cookieless counter's hits (/a/hit) before the session, CSRF, auth and page
    # cache layers, none of which a hit needs (masthead.audience.middleware).
    "masthead.audience.middleware.HitMiddleware",
    "masthead.core.middleware.NulBytesMiddleware",
    # Before the host check and the HTTPS redirect, which a load balancer's probe must pass.
    "masthead.core.middleware.HealthCheckMiddleware",
    # Outside the page cache, so that cached pages get the current policies too.
    "masthead.core.security_headers.SecurityHeadersMiddleware",
    # Before the page cache (whose key ignores Accept): answers fediverse servers asking for
    # an article's or an author's page as ActivityPub JSON (masthead.social.middleware).
    "masthead.social.middleware.ActivityJsonMiddleware",
    "masthead.core.cache.AnonymousPageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "masthead.core.sites.SiteMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "masthead.accounts.middleware.AdminSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Inside the page cache: a response made for a signed-in reader is private before the
    # cache sees it.
    "masthead.readers.sessions.ReaderMiddleware",
    # The settings' language and time zone active for the view (masthead.core.middleware).
    "masthead.core.middleware.DefaultLanguageAndZoneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # A limit that must hold could not be checked (Redis down): "try again shortly", 503.
    "masthead.core.middleware.LimitsUnavailableMiddleware",
]

ROOT_URLCONF = "masthead.urls"
WSGI_APPLICATION = "masthead.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Every template lives in its app's templates/ folder: core holds the shared skeleton
        # (core/base.html, and 404.html and 500.html at the top, where Django looks for them).
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "masthead.publishing.context_processors.site_navigation",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------------------

DATABASE_URL = env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'masthead.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite as a real embedded database: the web process and the worker share the file.
    # Connections are kept between requests, as on PostgreSQL: opening one (the file, then
    # the PRAGMAs below) took about a third of an uncached page's time. With WAL and
    # autocommit, a kept connection holds no lock between requests, and a restore writes
    # into the same file (SQLite's backup API), which kept connections then read.
    #
    # Each connection's page cache holds SQLITE_CACHE_MB (SQLite's default is 2 MB). With a
    # cache smaller than what a request reads, the pages are read again from the operating
    # system on every request: on the benchmark's outlet of 1,000 articles (a 10 MB file) a
    # search's ranking query, which reads every live page's row, took 6.7 ms instead of 3.8
    # (bench/pages.py's cold search served about a tenth more). Pages are cached as they
    # are read, so a small database never fills it. SQLITE_MMAP_MB maps that much of the
    # file into memory instead, shared by every connection and process (off by default:
    # an I/O error on a mapped file stops the process instead of failing a query).
    pragmas = [
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA busy_timeout=20000",
        # Negative: in KiB rather than in pages.
        f"PRAGMA cache_size=-{1024 * max(1, env_megabytes('SQLITE_CACHE_MB', '16'))}",
    ]
    if env_megabytes("SQLITE_MMAP_MB", "0"):
        pragmas.append(f"PRAGMA mmap_size={1024 * 1024 * env_megabytes('SQLITE_MMAP_MB', '0')}")
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "; ".join(pragmas) + ";",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A database host that is down or unreachable is noticed in seconds, not after the
    # system's TCP timeouts (minutes): connecting gives up after DATABASE_CONNECT_TIMEOUT,
    # and keepalives notice a connection whose server has gone silent. Parameters given in
    # DATABASE_URL's query string win.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options.setdefault("connect_timeout", int(env("DATABASE_CONNECT_TIMEOUT", "5")))
    # Parameters bound on the server, and each statement prepared there from its fifth run
    # on a connection (psycopg's prepared statements): PostgreSQL then parses and plans a
    # page's queries once per connection instead of on every request (an article page
    # rendered afresh cost the server about a third less). Off behind a connection pooler
    # in transaction mode that does not carry them (PgBouncer before 1.21).
    if env_bool("DATABASE_PREPARED_STATEMENTS", default=True):
        options.setdefault("server_side_binding", True)
        options.setdefault("prepare_threshold", 5)
    for option, value in {
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 10,
        "keepalives_count": 3,
    }.items():
        options.setdefault(option, value)
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ---------------------------------------------------------------------------------------


def cache_from_url(url):
    """Build a CACHES entry from CACHE_URL: redis://, locmem://, dummy:// or file:///path."""
    parts = urlsplit(url)
    if parts.scheme in {"redis", "rediss"}:
        # Unreachable Redis answers as misses, not errors (masthead.core.resilient_cache).
        return {
            "BACKEND": "masthead.core.resilient_cache.ResilientRedisCache",
            "LOCATION": url,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 1.0,
            },
        }
    if parts.scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if parts.scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    if parts.scheme == "file":
        return {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": unquote(parts.path),
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    raise ImproperlyConfigured(f"CACHE_URL scheme {parts.scheme!r} is not supported.")


CACHE_URL = env("CACHE_URL", "locmem://" if TESTING else f"file://{DATA_DIR / 'cache'}")
CACHES = {"default": cache_from_url(CACHE_URL)}
if CACHES["default"]["BACKEND"].endswith("FileBasedCache"):
    # Renditions are looked up at every render: in files each would be a read, and a write
    # and a directory scan for each one written, so they are kept in memory instead.
    CACHES["renditions"] = {
        "BACKEND": "masthead.core.rendition_cache.RenditionLocMemCache",
        "TIMEOUT": 3600,
        "OPTIONS": {"MAX_ENTRIES": 5000},
    }
elif CACHES["default"]["BACKEND"].endswith("ResilientRedisCache"):
    # The same Redis, through a backend that does not have Wagtail write back every
    # rendition it found there (masthead.core.rendition_cache).
    CACHES["renditions"] = {
        **CACHES["default"],
        "BACKEND": "masthead.core.rendition_cache.RenditionRedisCache",
    }
# How long a whole anonymous page stays cached; publishing invalidates it at once anyway.
PAGE_CACHE_SECONDS = int(env("PAGE_CACHE_SECONDS", "600"))
# How long browsers and a proxy in front (nginx's micro-cache, a CDN) may keep a cached page.
PAGE_CACHE_MAX_AGE = 60
# How many cached pages each web process also keeps in its own memory.
PAGE_CACHE_LOCAL_ENTRIES = 256
# How long a shared cache in front (nginx's micro-cache, a CDN) may keep an anonymous page:
# its Cache-Control s-maxage. A published change shows within it; 0 stores nothing there.
EDGE_CACHE_SECONDS = int(env("EDGE_CACHE_SECONDS", "1"))
# How long a CDN that Masthead purges on publish (FRONTEND_CACHE_BACKEND) may keep a page:
# Surrogate-Control and CDN-Cache-Control, which nginx ignores. 0 (the default) sends neither.
CDN_CACHE_SECONDS = int(env("CDN_CACHE_SECONDS", "0"))
# How long each process keeps the rendered parts of pages that every reader shares (header,
# footer, an article's text, the home page's listings); publishing replaces them at once
# anyway. 0 renders every part afresh (masthead.core.fragments).
FRAGMENT_CACHE_SECONDS = int(env("FRAGMENT_CACHE_SECONDS", str(max(PAGE_CACHE_SECONDS, 600))))
# How many rendered fragments (and, apart, routed articles) each web process keeps in memory.
FRAGMENT_CACHE_ENTRIES = 1000

# With Redis, sessions are read from it and kept in the database too, so that signed-in
# editors and readers mid-checkout carry on from the database while Redis is down.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if CACHES["default"]["BACKEND"].endswith("ResilientRedisCache")
    else "django.contrib.sessions.backends.db"
)

# --- Front-end cache purge (a CDN or an HTTP cache in front) ------------------------------------


def frontend_cache_from_env():
    """WAGTAILFRONTENDCACHE from FRONTEND_CACHE_BACKEND (http, cloudflare or cloudfront) and
    its variables: Wagtail then purges a page's URLs there when it is published or
    unpublished. Empty: no purging (the pages' s-maxage alone bounds what a CDN keeps)."""
    backend = env("FRONTEND_CACHE_BACKEND").strip().lower()
    if not backend:
        return {}
    wanted = {
        "http": ("HTTPBackend", {"LOCATION": "FRONTEND_CACHE_LOCATION"}),
        "cloudflare": (
            "CloudflareBackend",
            {"ZONEID": "CLOUDFLARE_ZONE_ID", "BEARER_TOKEN": "CLOUDFLARE_API_TOKEN"},
        ),
        "cloudfront": ("CloudfrontBackend", {"DISTRIBUTION_ID": "CLOUDFRONT_DISTRIBUTION_ID"}),
    }
    if backend not in wanted:
        raise ImproperlyConfigured(
            f"FRONTEND_CACHE_BACKEND {backend!r} is not supported: use http, cloudflare or "
            "cloudfront, or leave it empty."
        )
    class_name, variables = wanted[backend]
    config = {"BACKEND": f"wagtail.contrib.frontend_cache.backends.{class_name}"}
    for key, variable in variables.items():
        if not env(variable):
            raise ImproperlyConfigured(f"FRONTEND_CACHE_BACKEND={backend} needs {variable}.")
        config[key] = env(variable)
    # CloudFront's credentials come from boto3's own AWS_* variables or instance role.
    return {"default": config}


WAGTAILFRONTENDCACHE = frontend_cache_from_env()
if WAGTAILFRONTENDCACHE:
    INSTALLED_APPS.append("wagtail.contrib.frontend_cache")

# --- Background tasks ----------------------------------------------------------------------------

TASK_BACKEND = env("TASK_BACKEND", "immediate" if TESTING else "database")
TASKS = {
    "default": {
        "BACKEND": {
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
            "database": "django_tasks_db.DatabaseBackend",
            "dummy": "django_tasks.backends.dummy.DummyBackend",
        }[TASK_BACKEND]
    }
}
# Finished background tasks are kept this many days, then deleted: their arguments can hold
# a subscriber's name or a sign-in link's secret, and nothing reads them afterwards.
TASK_RESULT_RETENTION_DAYS = int(env("TASK_RESULT_RETENTION_DAYS", "7"))
# How often the worker looks for pages whose scheduled time has come.
SCHEDULER_INTERVAL_SECONDS = float(env("SCHEDULER_INTERVAL_SECONDS", "5"))
# How much lower the worker's CPU priority is than the web processes' (nice scale, 0 to 19;
# Linux and other Unixes): background work (deliveries, newsletters, imports) yields the
# cores to readers when both want them, and takes all of them when readers do not.
WORKER_NICE = int(env("WORKER_NICE", "10"))

# --- Email ---------------------------------------------------------------------------------------


def email_from_url(url):
    """Email settings from EMAIL_URL: smtp://user:pass@host:port(?tls=1|ssl=1), console://,
    file:///path, memory://, or anymail://esp (anymail reads its own ANYMAIL_* variables)."""
    parts = urlsplit(url)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if parts.scheme in {"smtp", "smtps"}:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname or "localhost",
            "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 25),
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_TLS": query.get("tls") in {"1", "true"},
            "EMAIL_USE_SSL": parts.scheme == "smtps" or query.get("ssl") in {"1", "true"},
            "EMAIL_TIMEOUT": int(query.get("timeout", "30")),
        }
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "memory":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if parts.scheme == "file":
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": unquote(parts.path),
        }
    if parts.scheme == "anymail":
        esp = parts.hostname or ""
        return {"EMAIL_BACKEND": f"anymail.backends.{esp}.EmailBackend"}
    raise ImproperlyConfigured(f"EMAIL_URL scheme {parts.scheme!r} is not supported.")


EMAIL_URL = env("EMAIL_URL", "memory://" if TESTING else "console://")
globals().update(email_from_url(EMAIL_URL))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Masthead <newsroom@localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
ADMINS = [("Admin", address) for address in env_list("ADMIN_EMAILS")]
# At most one error email to ADMINS per kind of error (type and place) in this many seconds.
ERROR_EMAIL_INTERVAL_SECONDS = int(env("ERROR_EMAIL_INTERVAL_SECONDS", "300"))
if env("ANYMAIL_ESP"):
    ANYMAIL = {
        key[len("ANYMAIL_") :]: value
        for key, value in os.environ.items()
        if key.startswith("ANYMAIL_") and key != "ANYMAIL_ESP"
    }

# --- Newsletter ----------------------------------------------------------------------------------

# Transport for bulk mail, e.g. a dedicated SMTP relay or anymail://<esp>; empty means EMAIL_URL.
NEWSLETTER_EMAIL_URL = env("NEWSLETTER_EMAIL_URL", "")
NEWSLETTER_EMAIL = email_from_url(NEWSLETTER_EMAIL_URL) if NEWSLETTER_EMAIL_URL else None
# Messages per second over all workers together (0: as fast as the transport takes them).
NEWSLETTER_RATE_LIMIT = float(env("NEWSLETTER_RATE_LIMIT", "0"))
# Deliveries one batch task claims at once, and how many batch tasks run side by side.
NEWSLETTER_BATCH_SIZE = int(env("NEWSLETTER_BATCH_SIZE", "500"))
NEWSLETTER_PARALLELISM = int(env("NEWSLETTER_PARALLELISM", "2"))
# A claim not finished within this time is taken to belong to a dead worker and re-claimed.
NEWSLETTER_LEASE_SECONDS = int(env("NEWSLETTER_LEASE_SECONDS", "300"))
NEWSLETTER_MAX_ATTEMPTS = int(env("NEWSLETTER_MAX_ATTEMPTS", "5"))
# First retry after a temporary failure; each further retry waits twice as long.
NEWSLETTER_RETRY_SECONDS = float(env("NEWSLETTER_RETRY_SECONDS", "60"))
# Sign-up and confirmation emails come from here (they are transactional, not marketing).
NEWSLETTER_TRANSACTIONAL_FROM_EMAIL = env("NEWSLETTER_TRANSACTIONAL_FROM_EMAIL", DEFAULT_FROM_EMAIL)
# The mailto: in List-Unsubscribe is <local>+<token>@<domain> of this address (default:
# unsubscribe@ the DEFAULT_FROM_EMAIL domain); Masthead does not read that mailbox itself.
NEWSLETTER_UNSUBSCRIBE_MAILBOX = env("NEWSLETTER_UNSUBSCRIBE_MAILBOX", "")
# Sign-ups accepted per IP and confirmation emails per address, each as (count, seconds).
NEWSLETTER_SIGNUP_LIMIT_PER_IP = (int(env("NEWSLETTER_SIGNUP_LIMIT_PER_IP", "20")), 3600)
NEWSLETTER_SIGNUP_LIMIT_PER_ADDRESS = (int(env("NEWSLETTER_SIGNUP_LIMIT_PER_ADDRESS", "3")), 3600)
# A sign-up form sent back sooner than this after it was rendered is taken for a bot; one
# older than the max age (longer than any page stays cached) asks for a fresh form.
NEWSLETTER_FORM_MIN_SECONDS = float(env("NEWSLETTER_FORM_MIN_SECONDS", "3"))
NEWSLETTER_FORM_MAX_AGE = int(env("NEWSLETTER_FORM_MAX_AGE", str(2 * 24 * 3600)))
# Confirmation links expire after this many seconds (7 days).
NEWSLETTER_CONFIRM_MAX_AGE = int(env("NEWSLETTER_CONFIRM_MAX_AGE", str(7 * 24 * 3600)))
# Sign-ups never confirmed are deleted after this many days (their link expired long before).
NEWSLETTER_PENDING_RETENTION_DAYS = int(env("NEWSLETTER_PENDING_RETENTION_DAYS", "30"))
# The IP address and browser kept as evidence with each consent record are cleared after this
# many days; the consent itself (what, when, which wording, from where) is kept for good.
NEWSLETTER_CONSENT_EVIDENCE_DAYS = int(env("NEWSLETTER_CONSENT_EVIDENCE_DAYS", "90"))
# Reverse proxies in front of the app (1 for nginx + gunicorn): the reader's IP is read that
# many hops from the right of X-Forwarded-For; 0 means REMOTE_ADDR.
TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0"))

# --- Readers --------------------------------------------------------------------------------------

# What an erased reader's address is kept as: an HMAC with this key (default: derived from
# SECRET_KEY). Set it once and keep it: with a new key, erased addresses are no longer known.
READERS_HASH_KEY = env(
    "READERS_HASH_KEY",
    hashlib.sha256(f"masthead.readers.hash:{SECRET_KEY}".encode()).hexdigest(),
)
# A sign-in link and its 6-digit code work once, within this many minutes, in the browser
# that asked; a code may be mistyped READERS_CODE_ATTEMPTS times before it stops working.
READERS_SIGN_IN_MINUTES = int(env("READERS_SIGN_IN_MINUTES", "15"))
READERS_CODE_ATTEMPTS = int(env("READERS_CODE_ATTEMPTS", "5"))
# Sign-in emails asked for per network (an IPv6 /64 counts as one) and per mailbox.
READERS_SIGN_IN_LIMIT_PER_IP = (int(env("READERS_SIGN_IN_LIMIT_PER_IP", "20")), 3600)
READERS_SIGN_IN_LIMIT_PER_ADDRESS = (int(env("READERS_SIGN_IN_LIMIT_PER_ADDRESS", "5")), 3600)
# A reader stays signed in on a browser for this many days.
READERS_SESSION_DAYS = int(env("READERS_SESSION_DAYS", "90"))
# A copy of a reader's data can be downloaded for this many days, then it is deleted.
READERS_EXPORT_DAYS = int(env("READERS_EXPORT_DAYS", "7"))
# Where the copies of readers' data wait to be downloaded: private, never under MEDIA_ROOT.
READERS_EXPORT_DIR = Path(env("READERS_EXPORT_DIR", str(DATA_DIR / "reader-exports")))
# A data-rights request must be answered within a month.
READERS_REQUEST_DUE_DAYS = int(env("READERS_REQUEST_DUE_DAYS", "30"))
# The register of data-rights requests is kept this many years (to show they were answered).
READERS_REQUEST_RETENTION_YEARS = int(env("READERS_REQUEST_RETENTION_YEARS", "3"))

# --- Audience ------------------------------------------------------------------------------------

# Counting visits (first party, no cookies): off turns the script and the hit endpoint off.
AUDIENCE_ENABLED = env_bool("AUDIENCE_ENABLED", True)
# Raw hits are kept this many days after they are rolled up, then deleted.
AUDIENCE_RAW_DAYS = int(env("AUDIENCE_RAW_DAYS", "30"))
# Hits wait in each web process's memory and leave it in batches of this size, or after this
# many seconds, whichever comes first: written to the database, or pushed to Redis when
# AUDIENCE_REDIS_URL is set (the cache's Redis by default), from where the task worker
# writes them, so web processes never write hits. Empty: no Redis buffer.
AUDIENCE_BATCH_SIZE = int(env("AUDIENCE_BATCH_SIZE", "500"))
AUDIENCE_FLUSH_SECONDS = float(env("AUDIENCE_FLUSH_SECONDS", "2"))
# On: each hit is written at once, in the request's thread and its transaction, with no
# buffer (the test suite's default, so tests see a hit without waiting).
AUDIENCE_WRITE_HITS_AT_ONCE = env_bool("AUDIENCE_WRITE_HITS_AT_ONCE", TESTING)
# On PostgreSQL, how many days the roll-up recomputes at once (one connection each).
AUDIENCE_ROLLUP_THREADS = int(env("AUDIENCE_ROLLUP_THREADS", "1" if TESTING else "2"))
AUDIENCE_REDIS_URL = env(
    "AUDIENCE_REDIS_URL", CACHE_URL if urlsplit(CACHE_URL).scheme in {"redis", "rediss"} else ""
)
# The hit listener (`masthead serve_hits`), to which nginx passes /a/hit and /a/hit.gif in
# production so that hits never take a gunicorn worker; without it Django answers them.
AUDIENCE_LISTENER_BIND = env("AUDIENCE_LISTENER_BIND", "127.0.0.1:8001")
AUDIENCE_LISTENER_PROCESSES = int(env("AUDIENCE_LISTENER_PROCESSES", "1"))
# A local MaxMind GeoLite2/GeoIP2 Country database (.mmdb): countries are recorded only then.
AUDIENCE_GEOIP_PATH = env("AUDIENCE_GEOIP_PATH", "")

# --- Social web (ActivityPub) -------------------------------------------------------------------

# The outlet's fediverse handle is @<SOCIAL_ACTOR_NAME>@<the site's host>.
SOCIAL_ACTOR_NAME = env("SOCIAL_ACTOR_NAME", "news")
# "auto" accepts every follow at once; "manual" holds follows for an editor's approval.
SOCIAL_FOLLOW_APPROVAL = env("SOCIAL_FOLLOW_APPROVAL", "auto").lower()
if SOCIAL_FOLLOW_APPROVAL not in {"auto", "manual"}:
    raise ImproperlyConfigured("SOCIAL_FOLLOW_APPROVAL must be auto or manual.")
# Send articles as Notes (shown in full by Mastodon) instead of Articles (a link card).
SOCIAL_ARTICLE_AS_NOTE = env_bool("SOCIAL_ARTICLE_AS_NOTE")
# Refuse unsigned GETs of the outbox, the followers and article objects ("authorized fetch").
SOCIAL_AUTHORIZED_FETCH = env_bool("SOCIAL_AUTHORIZED_FETCH")
# A signed request's date must lie within this many seconds of now (either way).
SOCIAL_SIGNATURE_WINDOW_SECONDS = int(env("SOCIAL_SIGNATURE_WINDOW_SECONDS", "3600"))
# Remote actors' documents (and keys) are fetched again when older than this.
SOCIAL_ACTOR_CACHE_SECONDS = int(env("SOCIAL_ACTOR_CACHE_SECONDS", str(24 * 3600)))
# Delivery: first retry after this many seconds, doubling each time; a server failing for
# SOCIAL_DEAD_AFTER_DAYS is marked dead and skipped until it is heard from again.
SOCIAL_RETRY_SECONDS = float(env("SOCIAL_RETRY_SECONDS", "60"))
SOCIAL_DEAD_AFTER_DAYS = float(env("SOCIAL_DEAD_AFTER_DAYS", "7"))
# Posts to Mastodon, Bluesky and Threads give up after this many tries (same backoff).
SOCIAL_POST_ATTEMPTS = int(env("SOCIAL_POST_ATTEMPTS", "8"))
SOCIAL_DELIVERY_THREADS = int(env("SOCIAL_DELIVERY_THREADS", "32"))
# How much lower the sending threads' CPU priority is than the worker's (0 to 19, nice(1)'s
# scale): delivery yields the cores to the web processes serving readers.
SOCIAL_DELIVERY_NICE = int(env("SOCIAL_DELIVERY_NICE", "10"))
SOCIAL_DELIVERY_TIMEOUT_SECONDS = float(env("SOCIAL_DELIVERY_TIMEOUT_SECONDS", "10"))
# Deliveries one sending pass claims at once.
SOCIAL_DELIVERY_BATCH_SIZE = int(env("SOCIAL_DELIVERY_BATCH_SIZE", "1000"))
# Fetching remote actors from private or loopback addresses (only the tests' fake fediverse
# needs it; never in production, where it would let anyone probe the internal network).
SOCIAL_ALLOW_PRIVATE_ADDRESSES = env_bool("SOCIAL_ALLOW_PRIVATE_ADDRESSES", TESTING)
if PRODUCTION and SOCIAL_ALLOW_PRIVATE_ADDRESSES:
    raise ImproperlyConfigured("SOCIAL_ALLOW_PRIVATE_ADDRESSES must be off in production mode.")
# Readers' comments (masthead.social.comments): at most so many comments per reader, and
# comments and reports per network, in the window (seconds); a published comment goes back
# to the moderation queue once this many readers have reported it.
SOCIAL_COMMENT_LIMIT_PER_READER = (int(env("SOCIAL_COMMENT_LIMIT_PER_READER", "5")), 600)
SOCIAL_REPORT_LIMIT_PER_READER = (int(env("SOCIAL_REPORT_LIMIT_PER_READER", "20")), 3600)
SOCIAL_COMMENT_LIMIT_PER_IP = (int(env("SOCIAL_COMMENT_LIMIT_PER_IP", "60")), 3600)
SOCIAL_COMMENT_REPORTS_TO_HOLD = int(env("SOCIAL_COMMENT_REPORTS_TO_HOLD", "3"))
# POSTs to the ActivityPub inboxes per network (an IPv4 address, an IPv6 /64) per minute, as
# (count, seconds): generous, as a big server delivers a lot, but a flood is answered 429
# before its signatures cost a key fetch and a verification each.
SOCIAL_INBOX_LIMIT_PER_IP = (int(env("SOCIAL_INBOX_LIMIT_PER_IP", "600")), 60)

# --- Payments ------------------------------------------------------------------------------------

# "demo" takes pretend payments on a local checkout page with no network; "stripe" is real.
PAYMENTS_PROVIDER = env("PAYMENTS_PROVIDER", "demo").strip().lower()
if PAYMENTS_PROVIDER not in {"demo", "stripe"}:
    raise ImproperlyConfigured("PAYMENTS_PROVIDER must be demo or stripe.")
# In production the demo provider would accept "payments" that no money backs, so it stays
# off there (checkout and its pages answer 404) unless MASTHEAD_ALLOW_DEMO_PAYMENTS=1 says a
# public demonstration is intended.
MASTHEAD_ALLOW_DEMO_PAYMENTS = env_bool("MASTHEAD_ALLOW_DEMO_PAYMENTS", default=not PRODUCTION)
PAYMENTS_CURRENCY = env("PAYMENTS_CURRENCY", "GBP").strip().upper()
if PAYMENTS_CURRENCY not in {"GBP", "EUR", "USD"}:
    raise ImproperlyConfigured("PAYMENTS_CURRENCY must be GBP, EUR or USD.")
# A checkout page not completed within this many minutes expires (Stripe allows 30 to 1440).
PAYMENTS_CHECKOUT_EXPIRY_MINUTES = int(env("PAYMENTS_CHECKOUT_EXPIRY_MINUTES", "60"))
# Provider events keep the payer's details (names, addresses, emails, billing details) only
# through the window in which a payment can be disputed; after it, only ids, types, amounts
# and times remain. IP addresses and user agents in them go sooner.
PAYMENTS_PERSONAL_DATA_RETENTION_DAYS = int(env("PAYMENTS_PERSONAL_DATA_RETENTION_DAYS", "120"))
PAYMENTS_IP_RETENTION_DAYS = int(env("PAYMENTS_IP_RETENTION_DAYS", "90"))
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")
# Webhooks signed longer ago than this are refused as replays.
STRIPE_WEBHOOK_TOLERANCE_SECONDS = int(env("STRIPE_WEBHOOK_TOLERANCE_SECONDS", "300"))
# Card covers Apple Pay and Google Pay; Bacs Direct Debit (GBP only) must be enabled on the
# Stripe account first.
STRIPE_PAYMENT_METHOD_TYPES = env_list("STRIPE_PAYMENT_METHOD_TYPES", "card")
STRIPE_ENABLE_BACS = env_bool("STRIPE_ENABLE_BACS")
# Only for tests or a local Stripe mock; empty means Stripe's own API.
STRIPE_API_BASE = env("STRIPE_API_BASE", "")
if (
    PRODUCTION
    and PAYMENTS_PROVIDER == "stripe"
    and not (STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET)
):
    raise ImproperlyConfigured(
        "PAYMENTS_PROVIDER=stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET."
    )

# --- The public demo key fails closed ------------------------------------------------------------

# Anyone can read the demo SECRET_KEY in this source, and with it sign sessions, manage links
# and unsubscribe links. It is refused, whatever the mode, as soon as the site could face
# real readers or real money.
MASTHEAD_BIND = env("MASTHEAD_BIND", "127.0.0.1:8000")
USING_DEMO_SECRET_KEY = SECRET_KEY == _DEMO_SECRET_KEY


def is_loopback_host(host):
    """Whether ``host`` (a host name, an address, or gunicorn's ``host:port`` or
    ``unix:/path`` bind) can only be reached from this machine."""
    if host.startswith("unix:"):
        return True
    host = host.strip()
    if host.startswith("[") and "]" in host:
        host = host[1 : host.index("]")]
    elif host.count(":") == 1:
        host = host.split(":")[0]
    if host in {"localhost", "testserver"} or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def demo_key_refusal(binds=()):
    """Why the demo SECRET_KEY may not be used here, in one line, or "" when it may."""
    if not USING_DEMO_SECRET_KEY:
        return ""
    public_hosts = [host for host in ALLOWED_HOSTS if not is_loopback_host(host.lstrip("."))]
    public_binds = [bind for bind in binds if not is_loopback_host(bind)]
    if STRIPE_SECRET_KEY or STRIPE_WEBHOOK_SECRET:
        why = "Stripe keys are set"
    elif public_hosts:
        why = f"ALLOWED_HOSTS names a public host ({public_hosts[0]})"
    elif public_binds:
        why = f"the server would listen beyond this machine ({public_binds[0]})"
    else:
        return ""
    return (
        f"the public demo SECRET_KEY cannot be used because {why}; set SECRET_KEY to a "
        "random value: python -c 'import secrets; print(secrets.token_urlsafe(64))'"
    )


if demo_key_refusal([MASTHEAD_BIND]):
    raise ImproperlyConfigured(demo_key_refusal([MASTHEAD_BIND]))

# --- Print on demand (the shop) ------------------------------------------------------------------

# A Printful API token for the store whose products the shop's print-on-demand variants use;
# empty means print-on-demand orders wait in the admin for someone to send them by hand.
PRINTFUL_API_KEY = env("PRINTFUL_API_KEY")
# The last part of the webhook address given to Printful (/shop/webhooks/printful/<secret>/);
# empty switches the endpoint off.
PRINTFUL_WEBHOOK_SECRET = env("PRINTFUL_WEBHOOK_SECRET")
# False leaves new Printful orders as drafts to confirm in Printful's dashboard (and pay for).
PRINTFUL_CONFIRM_ORDERS = env_bool("PRINTFUL_CONFIRM_ORDERS")

# --- The shop ------------------------------------------------------------------------------------

# Adds to the basket one address may make per hour (the add-to-cart form is on cached pages,
# so it has no CSRF token and relies on this and the same-site check).
SHOP_CART_ADD_LIMIT_PER_IP = (int(env("SHOP_CART_ADD_LIMIT_PER_IP", "120")), 3600)
# Payments started (each holds stock for everyone else) per IP network (an IPv6 /64 counts
# as one) and per mailbox, and discount codes tried per basket and per IP network, each
# (count, seconds).
SHOP_CHECKOUT_LIMIT_PER_IP = (int(env("SHOP_CHECKOUT_LIMIT_PER_IP", "20")), 3600)
SHOP_CHECKOUT_LIMIT_PER_ADDRESS = (int(env("SHOP_CHECKOUT_LIMIT_PER_ADDRESS", "10")), 3600)
SHOP_DISCOUNT_LIMIT_PER_BASKET = (int(env("SHOP_DISCOUNT_LIMIT_PER_BASKET", "10")), 3600)
SHOP_DISCOUNT_LIMIT_PER_IP = (int(env("SHOP_DISCOUNT_LIMIT_PER_IP", "30")), 3600)
# Baskets nobody has touched for this many days are deleted (an hourly job), and the basket
# cookie lasts as long.
SHOP_CART_RETENTION_DAYS = int(env("SHOP_CART_RETENTION_DAYS", "60"))
# Orders never paid lose the reader's email, name, address and phone after this many days.
SHOP_UNPAID_RETENTION_DAYS = int(env("SHOP_UNPAID_RETENTION_DAYS", "30"))
# Paid orders keep the buyer's name, email, address and phone this many years (UK accounting
# records: 6), then only the figures, the items and the country stay.
SHOP_ORDER_ADDRESS_YEARS = int(env("SHOP_ORDER_ADDRESS_YEARS", "6"))

# --- Donations -----------------------------------------------------------------------------------

# The donate form and the "manage my support" request are on cached pages (no CSRF token):
# checkouts started per network (an IPv4 address, an IPv6 /64) and per donor mailbox (against
# card testing), link requests per network and link emails per address, each (count, seconds).
DONATIONS_START_LIMIT_PER_IP = (int(env("DONATIONS_START_LIMIT_PER_IP", "10")), 3600)
DONATIONS_START_LIMIT_PER_ADDRESS = (int(env("DONATIONS_START_LIMIT_PER_ADDRESS", "5")), 3600)
DONATIONS_MANAGE_LIMIT_PER_IP = (int(env("DONATIONS_MANAGE_LIMIT_PER_IP", "10")), 3600)
DONATIONS_MANAGE_LIMIT_PER_ADDRESS = (int(env("DONATIONS_MANAGE_LIMIT_PER_ADDRESS", "3")), 3600)
# A "manage my support" link works for this many seconds after it was sent.
DONATIONS_MANAGE_LINK_MAX_AGE = int(env("DONATIONS_MANAGE_LINK_MAX_AGE", "3600"))
# A receipt claimed for sending but not recorded as sent within this time is taken to belong
# to a sender that died, and is sent again (longer than any SMTP exchange's timeout).
DONATIONS_RECEIPT_LEASE_SECONDS = int(env("DONATIONS_RECEIPT_LEASE_SECONDS", "600"))
# Gifts never paid (abandoned or failed checkouts) lose the donor's address, name and message
# after this many days; their amounts stay for the figures.
DONATIONS_UNPAID_RETENTION_DAYS = int(env("DONATIONS_UNPAID_RETENTION_DAYS", "30"))
# Donors whose last gift is older than this many years, with no monthly gift still live,
# lose their address, name and messages (and the provider's events about them lose theirs);
# the gifts' dates and amounts stay. Six years: UK financial records (HMRC).
DONATIONS_PAID_ADDRESS_YEARS = int(env("DONATIONS_PAID_ADDRESS_YEARS", "6"))

# --- Backups -------------------------------------------------------------------------------------

# Where `masthead backup` writes its archives when given no path, how many of them it keeps
# there, and how often the worker makes one (0: never; run `masthead backup` yourself).
BACKUP_DIR = Path(env("BACKUP_DIR", str(DATA_DIR / "backups")))
BACKUP_KEEP = int(env("BACKUP_KEEP", "7"))
BACKUP_EVERY_HOURS = float(env("BACKUP_EVERY_HOURS", "0"))
# Each archive written into BACKUP_DIR is also uploaded to this S3-compatible bucket, under
# BACKUP_S3_PREFIX, which keeps BACKUP_KEEP too (needs boto3; AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY as boto3 reads them). The endpoint names a store that is not AWS.
BACKUP_S3_BUCKET = env("BACKUP_S3_BUCKET")
BACKUP_S3_PREFIX = env("BACKUP_S3_PREFIX", "masthead-backups/")
BACKUP_S3_ENDPOINT_URL = env("BACKUP_S3_ENDPOINT_URL")
BACKUP_S3_REGION = env("BACKUP_S3_REGION")

# --- Import (masthead.transfer) ------------------------------------------------------------------

# The largest file an Administrator may upload to the admin's import screen, in MiB (the
# command line has no limit). Uploaded files wait in TRANSFER_UPLOAD_DIR, private and never
# under MEDIA_ROOT, and are deleted when their import has run.
TRANSFER_MAX_UPLOAD_MB = int(env("TRANSFER_MAX_UPLOAD_MB", "512"))
TRANSFER_UPLOAD_DIR = Path(env("TRANSFER_UPLOAD_DIR", str(DATA_DIR / "import-uploads")))
# A Substack export ZIP that would unpack to more than this many bytes is refused (1 GiB).
TRANSFER_ZIP_MAX_BYTES = int(env("TRANSFER_ZIP_MAX_BYTES", str(1024 * 1024 * 1024)))
# Where `masthead export` and the admin's export button write archives: private, never
# under MEDIA_ROOT (an export holds every subscriber and donor); the admin's are deleted
# after TRANSFER_EXPORT_KEEP_HOURS or when a newer one is made.
TRANSFER_EXPORT_DIR = Path(env("TRANSFER_EXPORT_DIR", str(DATA_DIR / "exports")))
TRANSFER_EXPORT_KEEP_HOURS = int(env("TRANSFER_EXPORT_KEEP_HOURS", "24"))

# --- Static and media files ----------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(DATA_DIR / "static")))
# The reader-facing CSS, fonts and favicon live in the project package, not in an app.
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_URL = env("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(DATA_DIR / "media")))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
if env("MEDIA_S3_BUCKET"):
    # S3-compatible media (needs `pip install django-storages[s3]`); credentials come from
    # the usual AWS_* variables that boto3 reads itself.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("MEDIA_S3_BUCKET"),
            "endpoint_url": env("MEDIA_S3_ENDPOINT_URL") or None,
            "custom_domain": env("MEDIA_S3_CUSTOM_DOMAIN") or None,
            "querystring_auth": False,
            "file_overwrite": False,
        },
    }
WHITENOISE_MAX_AGE = 3600
# Outside production whitenoise serves straight from the apps' static folders, so the demo
# and tests need no collectstatic; production serves the hashed files collected in STATIC_ROOT.
WHITENOISE_USE_FINDERS = not PRODUCTION
if WHITENOISE_USE_FINDERS:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Media are served by Django only when no web server or object store does it for us; even
# then only image renditions (MEDIA_URL/images/), never documents or original uploads.
SERVE_MEDIA = env_bool("SERVE_MEDIA", default=not PRODUCTION and not env("MEDIA_S3_BUCKET"))
# Documents are always served by Wagtail's document view, which checks their collection's
# privacy first. Behind the shipped nginx config it then hands the file to nginx with an
# X-Accel-Redirect to the internal location below (masthead.core.sendfile); without nginx
# (demo, development, S3) Django streams the file itself.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
MEDIA_X_ACCEL_REDIRECT = env_bool(
    "MEDIA_X_ACCEL_REDIRECT", default=PRODUCTION and not env("MEDIA_S3_BUCKET")
)
MEDIA_X_ACCEL_REDIRECT_URL = "/protected-media/"
if MEDIA_X_ACCEL_REDIRECT:
    SENDFILE_BACKEND = "masthead.core.sendfile"

# Uploads: refuse huge requests before they are read, and images bigger than this.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 15 * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 64_000_000
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
# Renditions are written through a storage that strips location and device metadata from
# them, as uploads are stripped when saved (masthead.core.images).
WAGTAILIMAGES_RENDITION_STORAGE = "masthead.core.images.MetadataFreeStorage"
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "txt", "xlsx"]

# --- Wagtail -------------------------------------------------------------------------------------

WAGTAIL_SITE_NAME = env("MASTHEAD_SITE_NAME", "Masthead")
WAGTAILADMIN_BASE_URL = SITE_URL
# No avatars from Gravatar: the admin must not tell a third party who signs in.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "masthead.core.search_backend"}}
WAGTAIL_I18N_ENABLED = False
# Page URLs end in a slash (Wagtail's default; masthead.core.page_urls follows it).
WAGTAIL_APPEND_SLASH = True
# The admin's date-time pickers write this format (Wagtail's own default).
WAGTAIL_DATETIME_FORMAT = "%Y-%m-%d %H:%M"
WAGTAILEMBEDS_RESPONSIVE_HTML = True
WAGTAIL_WORKFLOW_ENABLED = True
WAGTAILADMIN_NOTIFICATION_USE_HTML = True
WAGTAILADMIN_NOTIFICATION_FROM_EMAIL = DEFAULT_FROM_EMAIL
WAGTAILAPI_LIMIT_MAX = 50
WAGTAILAPI_SEARCH_ENABLED = True
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAILADMIN_RICH_TEXT_EDITORS = {
    "default": {
        "WIDGET": "wagtail.admin.rich_text.DraftailRichTextArea",
        "OPTIONS": {"features": ["bold", "italic", "link", "ol", "ul"]},
    }
}

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}

# --- Internationalisation ------------------------------------------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# --- Security ------------------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Signing in to the admin (masthead.accounts). The lockout backend comes first, so that a
# locked-out account or network is refused before any password is checked.
AUTHENTICATION_BACKENDS = [
    "masthead.accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
WAGTAILADMIN_USER_LOGIN_FORM = "masthead.accounts.forms.LockoutLoginForm"
# Failed sign-ins that lock out an account (the username as typed) or a network (an IPv4
# address, an IPv6 /64), counted over ADMIN_SIGNIN_LOCKOUT_SECONDS, which is also how long a
# lockout lasts; 0 switches a limit off.
ADMIN_SIGNIN_FAILURES_PER_ACCOUNT = int(env("ADMIN_SIGNIN_FAILURES_PER_ACCOUNT", "5"))
ADMIN_SIGNIN_FAILURES_PER_IP = int(env("ADMIN_SIGNIN_FAILURES_PER_IP", "20"))
ADMIN_SIGNIN_LOCKOUT_SECONDS = int(env("ADMIN_SIGNIN_LOCKOUT_SECONDS", "900"))
# Password-reset emails asked for per network and per mailbox, each (count, seconds).
ADMIN_PASSWORD_RESET_LIMIT_PER_IP = (int(env("ADMIN_PASSWORD_RESET_LIMIT_PER_IP", "5")), 3600)
ADMIN_PASSWORD_RESET_LIMIT_PER_ADDRESS = (
    int(env("ADMIN_PASSWORD_RESET_LIMIT_PER_ADDRESS", "3")),
    3600,
)
# A signed-in session unused for this many seconds is signed out. (Changing a password signs
# out every other session of that person at once: Django's session hash.)
ADMIN_SESSION_IDLE_SECONDS = int(env("ADMIN_SESSION_IDLE_SECONDS", str(12 * 3600)))
# Two-factor authentication (an authenticator app, with recovery codes) is open to everyone;
# with ADMIN_2FA_REQUIRED on, superusers and members of these groups must set it up before
# they can use the admin.
ADMIN_2FA_REQUIRED = env_bool("ADMIN_2FA_REQUIRED")
ADMIN_2FA_REQUIRED_GROUPS = env_list("ADMIN_2FA_REQUIRED_GROUPS", "Editors,Administrators")
# The name authenticator apps show beside the account.
OTP_TOTP_ISSUER = WAGTAIL_SITE_NAME
# Wagtail marks its own preview views SAMEORIGIN, so nothing else needs framing.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    # Preloading asks browsers to hard-code HTTPS for the domain and every subdomain, and
    # takes months to undo: only on request (https://hstspreload.org).
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # `check --deploy` would otherwise warn that the site cannot be preloaded.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# Passwords inside connection URLs are masked in error reports and in every log line.
DEFAULT_EXCEPTION_REPORTER_FILTER = "masthead.core.error_reports.CredentialsReporterFilter"
# Error reports (the admins' error emails) start with the request's id (X-Request-ID).
DEFAULT_EXCEPTION_REPORTER = "masthead.core.request_id.RequestIdExceptionReporter"
# "text" (the default) or "json": one JSON object per line, for a log collector.
LOG_FORMAT = env("LOG_FORMAT", "text").strip().lower()
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured("LOG_FORMAT must be text or json.")
# /metrics (Prometheus) answers only a scraper that sends this bearer token and/or comes
# from one of these networks (comma-separated addresses or CIDR ranges); with neither set
# it answers 404. With both set, a scrape needs both.
METRICS_TOKEN = env("METRICS_TOKEN")
METRICS_ALLOW_IPS = env_list("METRICS_ALLOW_IPS")
for _network in METRICS_ALLOW_IPS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as error:
        raise ImproperlyConfigured(
            f"METRICS_ALLOW_IPS: {_network!r} is not an address or network."
        ) from error
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "credentials": {"()": "masthead.core.error_reports.MaskCredentialsLogFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        "request_id": {"()": "masthead.core.request_id.RequestIdLogFilter"},
    },
    "formatters": {
        "text": {"()": "masthead.core.logging.TextFormatter"},
        "json": {"()": "masthead.core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["credentials", "request_id"],
            "formatter": LOG_FORMAT,
        },
        "null": {"class": "logging.NullHandler"},
        # Django's error emails, one per kind of error per ERROR_EMAIL_INTERVAL_SECONDS.
        "mail_admins": {
            "level": "ERROR",
            "class": "masthead.core.error_reports.ThrottledAdminEmailHandler",
            "filters": ["require_debug_false", "credentials"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
    "loggers": {
        "masthead": {
            "handlers": ["console"],
            "level": env("LOG_LEVEL", "INFO"),
            "propagate": False,
        },
        # A request naming a host not in ALLOWED_HOSTS (scanners probing by IP address) is
        # answered 400 and forgotten: logged, it would email the admins once per request.
        "django.security.DisallowedHost": {"handlers": ["null"], "propagate": False},
        # Replaces Django's default for this logger (its console handler only spoke under
        # DEBUG; the root logger's console writes these lines).
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
    },
}
