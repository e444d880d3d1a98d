"""``/metrics`` for Prometheus: what the site is doing, in Prometheus' text format (0.0.4).

Two kinds of figures:

- **Counters** of what the web processes served: responses by status, page-cache hits and
  misses, and failed webhook deliveries. Each process counts in memory (a dictionary
  increment per request, nothing more on the request's path) and a background thread adds
  its counts to the shared cache once a second, with ``incr``, which Redis does
  atomically. So the figures are the whole site's, however many gunicorn workers and
  machines share that Redis, and any one of them answers a scrape with all of them (at
  most a second behind). With the file or local-memory cache (one machine, the demo) they
  are the machine's, or the process's; the file cache's ``incr`` is not atomic, so
  concurrent processes may lose a few counts. The counters live as long as the cache
  keeps them: a cleared cache starts them from zero, which Prometheus' ``rate()`` takes as
  a restart.
- **Gauges** read from the database when the scrape comes: the task queue's depth and the
  age of its oldest due task, and whatever the apps register (``register_collector``):
  the newsletter's send rate, for instance. A collector that fails (the database is down)
  is logged, and reported as ``masthead_metrics_collector_up{collector=...} 0``; the rest
  are still answered.

Who may scrape: ``METRICS_TOKEN`` (sent as ``Authorization: Bearer <token>``) and/or
``METRICS_ALLOW_IPS`` (addresses and CIDR ranges, read with ``TRUSTED_PROXY_COUNT`` as for
rate limits). With neither set, ``/metrics`` does not exist (404); with both, a scrape
needs both. A request relayed by a proxy that ``TRUSTED_PROXY_COUNT`` does not account
for (it carries ``X-Forwarded-For`` while the setting is 0) is never let in by its
address, since the address is then the proxy's: nginx on 127.0.0.1 would otherwise open
``/metrics`` to the whole internet through an allow-list of ``127.0.0.1``.

Like the health check, ``/metrics`` is answered by ``MetricsMiddleware`` before the host
check, the HTTPS redirect and the page cache: Prometheus scrapes each server by its address
over the private network, and the answer must never be cached.
"""

import atexit
import dataclasses
import hmac
import ipaddress
import logging
import math
import os
import threading
import time
from collections import Counter
from datetime import timedelta
from http import HTTPStatus

from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, Count, F, Min, When
from django.db.models.functions import Greatest
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django_tasks_db.models import DBTaskResult, get_date_max

from masthead.core.ratelimit import client_ip

logger = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
KEY_PREFIX = "masthead:metrics"
FLUSH_SECONDS = 1.0
# Status codes counted one by one; any other (Django allows 100-599) is counted as "other".
KNOWN_STATUSES = tuple(str(status.value) for status in HTTPStatus)
_KNOWN_STATUS_SET = frozenset(KNOWN_STATUSES)
OTHER_STATUS = "other"
PAGE_CACHE_RESULTS = ("hit", "miss")
DEFAULT_QUEUE = "default"


# --- The text format ----------------------------------------------------------------------------


@dataclasses.dataclass
class Family:
    """One metric: its name, type (counter or gauge), help text and samples, each a dict
    of labels and a number."""

    name: str
    type: str
    help: str
    samples: list = dataclasses.field(default_factory=list)

    def add(self, value, **labels):
        self.samples.append((labels, value))
        return self


def _escape_help(text):
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _escape_label_value(text):
    return str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _format_value(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def render(families):
    """The families as Prometheus' text exposition format: HELP and TYPE lines, then each
    sample on its own line, label values escaped."""
    lines = []
    for family in families:
        lines.append(f"# HELP {family.name} {_escape_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.type}")
        for labels, value in family.samples:
            if labels:
                inner = ",".join(
                    f'{name}="{_escape_label_value(labels[name])}"' for name in sorted(labels)
                )
                lines.append(f"{family.name}{{{inner}}} {_format_value(value)}")
            else:
                lines.append(f"{family.name} {_format_value(value)}")
    return "\n".join(lines) + "\n"


# --- Counters shared through the cache ------------------------------------------------------------


def _key(name, *label_values):
    return ":".join((KEY_PREFIX, name, *label_values))


class CounterBuffer:
    """Counts kept in this process and added to the shared cache once a second.

    The flushing thread is started by the first count in each process (gunicorn forks its
    workers after loading the app, and a thread does not survive a fork). No system call
    per count: a lock and a dictionary increment.
    """

    def __init__(self, flush_seconds=FLUSH_SECONDS):
        self.flush_seconds = flush_seconds
        self.pending = Counter()
        self.lock = threading.Lock()
        self.flusher_started = False
        self.failing_since = None
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._forked)

    def _forked(self):
        # The child has no flushing thread, and must not add its parent's counts again.
        self.lock = threading.Lock()
        self.pending = Counter()
        self.flusher_started = False

    def add(self, key, amount=1):
        with self.lock:
            self.pending[key] += amount
        if not self.flusher_started:
            self._start_flusher()

    def _start_flusher(self):
        with self.lock:
            if self.flusher_started:
                return
            self.flusher_started = True
        thread = threading.Thread(target=self._run, name="masthead-metrics", daemon=True)
        thread.start()

    def _run(self):
        # Event.wait rather than time.sleep, and nothing lets an error end the loop: a dead
        # flusher would leave every later count in this process unreported, silently.
        pause = threading.Event()
        while True:
            pause.wait(self.flush_seconds)
            try:
                self.flush()
            except Exception:
                logger.exception("Metrics: could not flush the counts; will retry")

    def flush(self):
        """Add what this process counted to the shared cache; what cannot be added (the
        cache is unreachable) is kept for the next time."""
        with self.lock:
            pending, self.pending = self.pending, Counter()
        if not pending:
            return
        unsent = Counter()
        for key, amount in pending.items():
            try:
                _add_to_shared(key, amount)
            except Exception:
                unsent[key] += amount
        if unsent:
            with self.lock:
                self.pending.update(unsent)
            if self.failing_since is None:
                self.failing_since = time.monotonic()
                logger.warning("Metrics: the shared cache did not take the counts; will retry")
        elif self.failing_since is not None:
            self.failing_since = None
            logger.warning("Metrics: the shared cache takes the counts again")


def _add_to_shared(key, amount):
    try:
        cache.incr(key, amount)
    except ValueError:
        # No such key yet: the first count creates it, unless another process just did.
        if not cache.add(key, amount, timeout=None):
            cache.incr(key, amount)


counters = CounterBuffer()
# Whatever a worker counted in its last second is not lost when it exits.
atexit.register(counters.flush)


def count_response(request, response):
    """Count one response: its status, the page cache's hit or miss, a failed webhook."""
    status = str(response.status_code)
    if status not in _KNOWN_STATUS_SET:
        status = OTHER_STATUS
    counters.add(_key("http_responses", status))
    cache_result = response.get("X-Cache")
    if cache_result in PAGE_CACHE_RESULTS:
        counters.add(_key("page_cache", cache_result))
    if response.status_code >= 400:
        endpoint = _webhook_endpoint(request)
        if endpoint:
            counters.add(_key("webhook_failures", endpoint, status))


def _read_counters(keys):
    counters.flush()
    values = cache.get_many(list(keys))
    return {key: int(value) for key, value in values.items() if value}


# --- Registries ----------------------------------------------------------------------------------

_webhook_endpoints = []
_collectors = {}


def register_webhook_endpoint(view_name):
    """Count the failed deliveries (answers of 400 and above) to a webhook: ``view_name``
    is a URL name with its namespace (``payments:webhook``) or a namespace of several
    (``newsletter:anymail``). It is the ``endpoint`` label, so keep it short and fixed."""
    if view_name not in _webhook_endpoints:
        _webhook_endpoints.append(view_name)


def _webhook_endpoint(request):
    match = getattr(request, "resolver_match", None)
    if match is None:
        return None
    for endpoint in _webhook_endpoints:
        if match.view_name == endpoint or match.view_name.startswith(f"{endpoint}:"):
            return endpoint
    return None


def register_collector(name, collect):
    """Add gauges to every scrape: ``collect()`` returns a list of ``Family``, read at
    scrape time (from the database, say). ``name`` labels its ``collector_up`` sample."""
    _collectors[name] = collect


# --- What core measures itself --------------------------------------------------------------------


STATUSES = (*KNOWN_STATUSES, OTHER_STATUS)
FAILURE_STATUSES = tuple(
    status for status in STATUSES if status == OTHER_STATUS or int(status) >= 400
)


def counter_keys():
    """The shared cache's keys of every counter there can be (a few hundred at most)."""
    keys = [_key("http_responses", status) for status in STATUSES]
    keys += [_key("page_cache", result) for result in PAGE_CACHE_RESULTS]
    keys += [
        _key("webhook_failures", endpoint, status)
        for endpoint in _webhook_endpoints
        for status in FAILURE_STATUSES
    ]
    return keys


def collect_counters():
    """Responses by status, page-cache hits and misses, failed webhook deliveries."""
    statuses, failure_statuses = STATUSES, FAILURE_STATUSES
    values = _read_counters(counter_keys())

    responses = Family(
        "masthead_http_responses_total",
        "counter",
        "Responses served by the web processes, by HTTP status.",
    )
    for status in statuses:
        if _key("http_responses", status) in values:
            responses.add(values[_key("http_responses", status)], status=status)
    page_cache = Family(
        "masthead_page_cache_requests_total",
        "counter",
        "Requests the page cache could answer: served from it (hit) or rendered and stored.",
    )
    hits = values.get(_key("page_cache", "hit"), 0)
    misses = values.get(_key("page_cache", "miss"), 0)
    page_cache.add(hits, result="hit").add(misses, result="miss")
    ratio = Family(
        "masthead_page_cache_hit_ratio",
        "gauge",
        "Hits among the page cache's hits and misses since the counters began "
        "(absent before the first); for a recent ratio use rate() of the counter.",
    )
    if hits + misses:
        ratio.add(hits / (hits + misses))
    webhooks = Family(
        "masthead_webhook_failures_total",
        "counter",
        "Webhook deliveries answered with an error (400 and above), by endpoint and status.",
    )
    for endpoint in _webhook_endpoints:
        for status in failure_statuses:
            value = values.get(_key("webhook_failures", endpoint, status))
            if value:
                webhooks.add(value, endpoint=endpoint, status=status)
    return [responses, page_cache, ratio, webhooks]


def collect_task_queue():
    """Tasks waiting for a worker (due now), the age of the oldest, tasks running, by queue."""
    now = timezone.now()
    # A task enqueued with no delay has run_after set to the far future by django-tasks-db;
    # one with a delay is waiting from when it fell due, not from when it was enqueued.
    due_since = Case(
        When(run_after=get_date_max(), then=F("enqueued_at")),
        default=Greatest("enqueued_at", "run_after"),
    )
    ready = (
        DBTaskResult.objects.ready()
        .order_by()
        .values("queue_name")
        .annotate(depth=Count("pk"), oldest=Min(due_since))
    )
    running = (
        DBTaskResult.objects.running().order_by().values("queue_name").annotate(count=Count("pk"))
    )
    depth = Family(
        "masthead_tasks_ready", "gauge", "Background tasks due and waiting for a worker."
    )
    age = Family(
        "masthead_tasks_oldest_ready_age_seconds",
        "gauge",
        "How long the oldest task due has waited for a worker (0 when none waits).",
    )
    in_progress = Family(
        "masthead_tasks_running", "gauge", "Background tasks a worker is running now."
    )
    for row in ready:
        depth.add(row["depth"], queue=row["queue_name"])
        waited = (now - row["oldest"]).total_seconds() if row["oldest"] else 0.0
        age.add(max(waited, 0.0), queue=row["queue_name"])
    if not any(labels["queue"] == DEFAULT_QUEUE for labels, _value in depth.samples):
        # The queue everything uses unless told otherwise, shown even while it is empty.
        depth.add(0, queue=DEFAULT_QUEUE)
        age.add(0.0, queue=DEFAULT_QUEUE)
    for row in running:
        in_progress.add(row["count"], queue=row["queue_name"])
    return [depth, age, in_progress]


def recent(seconds):
    """The time ``seconds`` ago, for collectors counting what happened since."""
    return timezone.now() - timedelta(seconds=seconds)


def collect_all():
    """Every family: core's own, then each registered collector's, then whether each
    collector answered."""
    families = []
    up = Family(
        "masthead_metrics_collector_up",
        "gauge",
        "1 when the collector answered this scrape, 0 when it failed (see the log).",
    )
    collectors = {"counters": collect_counters, "tasks": collect_task_queue, **_collectors}
    for name, collect in collectors.items():
        try:
            families.extend(collect())
        except Exception:
            logger.exception("Metrics: the %s collector failed", name)
            up.add(0, collector=name)
        else:
            up.add(1, collector=name)
    families.append(up)
    return families


# --- Who may scrape ------------------------------------------------------------------------------


def is_enabled():
    return bool(settings.METRICS_TOKEN or settings.METRICS_ALLOW_IPS)


def _token_matches(request):
    scheme, _space, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), settings.METRICS_TOKEN.encode()
    )


def _address_allowed(request):
    if settings.TRUSTED_PROXY_COUNT == 0 and request.META.get("HTTP_X_FORWARDED_FOR"):
        return False
    address = client_ip(request)
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(
        ip in ipaddress.ip_network(network, strict=False) for network in settings.METRICS_ALLOW_IPS
    )


def refusal(request):
    """None when the request may read the metrics, else the response that refuses it."""
    if not is_enabled():
        return HttpResponse("Not found.\n", status=404, content_type="text/plain")
    if settings.METRICS_ALLOW_IPS and not _address_allowed(request):
        return HttpResponse("Forbidden.\n", status=403, content_type="text/plain")
    if settings.METRICS_TOKEN and not _token_matches(request):
        response = HttpResponse(
            "A bearer token is needed.\n", status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return None


def metrics(request):
    """The metrics, for a scraper that may read them."""
    response = refusal(request)
    if response is None:
        if request.method not in ("GET", "HEAD"):
            response = HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
        else:
            response = HttpResponse(render(collect_all()), content_type=CONTENT_TYPE)
    add_never_cache_headers(response)
    return response


class MetricsMiddleware:
    """Count every response, and answer ``/metrics`` before anything that could refuse,
    redirect or cache it (see the module's docstring).

    Second in MIDDLEWARE, after the request id: a page served from the cache, a request
    refused for its host, an error page are all counted.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.path = reverse("metrics")

    def __call__(self, request):
        if request.path_info == self.path:
            response = metrics(request)
        else:
            response = self.get_response(request)
        count_response(request, response)
        return response
