"""/metrics: only for a scraper with the token or from an allowed network, answered before
the host check and the HTTPS redirect, in valid Prometheus text format, with figures that
follow what the site did: responses by status, page-cache hits, failed webhooks, the task
queue, the newsletter's send rate."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from masthead.core import metrics
from masthead.newsletter.models import Campaign, Delivery, Newsletter, Subscriber
from tests.ops import promtext
from tests.ops.tasks import file_the_story

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-7f3a9c"
SCRAPER_HOST = "10.0.0.5:8000"


@pytest.fixture(autouse=True)
def fresh_counters():
    """Counters start at zero: they live in the cache, which outlives a test."""
    metrics.counters.flush()
    cache.delete_many(metrics.counter_keys())


@pytest.fixture
def token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOW_IPS = []
    return settings


@pytest.fixture
def production_like(token):
    """The host check and the HTTPS redirect as production turns them on."""
    token.ALLOWED_HOSTS = ["news.example.org"]
    token.SECURE_SSL_REDIRECT = True
    token.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    return token


def scrape(client, **extra):
    extra.setdefault("HTTP_AUTHORIZATION", f"Bearer {TOKEN}")
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return promtext.parse(response.content.decode())


def test_without_a_token_or_an_allow_list_there_is_no_metrics_page(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOW_IPS = []

    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything")

    assert response.status_code == 404
    assert b"masthead_" not in response.content


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"]
)
def test_a_scrape_without_the_right_token_is_refused(client, token, authorization):
    extra = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}

    response = client.get("/metrics", **extra)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"masthead_" not in response.content


def test_prometheus_scrapes_by_address_over_plain_http(client, production_like):
    families = scrape(client, HTTP_HOST=SCRAPER_HOST)

    assert families["masthead_http_responses_total"].type == "counter"
    response = client.get("/metrics", HTTP_HOST=SCRAPER_HOST, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert "no-cache" in response["Cache-Control"]
    assert "X-Cache" not in response
    # Other paths still refuse an unknown host.
    assert client.get("/robots.txt", HTTP_HOST=SCRAPER_HOST).status_code == 400


@pytest.mark.parametrize(
    ("remote", "forwarded", "proxies", "status"),
    [
        ("10.0.0.9", None, 0, 200),
        ("192.0.2.1", None, 0, 403),
        ("127.0.0.1", None, 0, 200),
        # Relayed by a proxy the settings do not know of: its address proves nothing.
        ("127.0.0.1", "203.0.113.5", 0, 403),
        ("127.0.0.1", "10.0.0.9", 0, 403),
        # Behind nginx (TRUSTED_PROXY_COUNT=1) the scraper's own address counts.
        ("127.0.0.1", "10.0.0.9", 1, 200),
        ("127.0.0.1", "203.0.113.5", 1, 403),
        ("127.0.0.1", "10.0.0.9, 203.0.113.5", 1, 403),
        ("2001:db8::1", None, 0, 403),
    ],
)
def test_the_allow_list_lets_in_only_its_networks(
    client, settings, remote, forwarded, proxies, status
):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOW_IPS = ["10.0.0.0/24", "127.0.0.1"]
    settings.TRUSTED_PROXY_COUNT = proxies
    extra = {"REMOTE_ADDR": remote}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded

    response = client.get("/metrics", **extra)

    assert response.status_code == status
    assert (b"masthead_http_responses_total" in response.content) == (status == 200)


def test_with_both_set_a_scrape_needs_both(client, token):
    token.METRICS_ALLOW_IPS = ["10.0.0.0/24"]

    def status(remote, authorization=""):
        extra = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
        return client.get("/metrics", REMOTE_ADDR=remote, **extra).status_code

    assert status("10.0.0.9", f"Bearer {TOKEN}") == 200
    assert status("192.0.2.1", f"Bearer {TOKEN}") == 403
    assert status("10.0.0.9") == 401


def test_responses_are_counted_by_status_and_page_cache_hits_give_the_ratio(client, token):
    for _ in range(3):
        client.get("/robots.txt")  # a miss (stored), then two hits
    for _ in range(2):
        client.get("/ops-missing-page/")
    client.post("/health/")  # 405

    families = scrape(client)

    responses = families["masthead_http_responses_total"]
    assert responses.value(status="200") == 3
    assert responses.value(status="404") == 2
    assert responses.value(status="405") == 1
    cached = families["masthead_page_cache_requests_total"]
    assert cached.value(result="hit") == 2
    assert cached.value(result="miss") == 1
    assert families["masthead_page_cache_hit_ratio"].value() == pytest.approx(2 / 3)

    # The scrape itself is a response too, counted for the next one.
    again = scrape(client)
    assert again["masthead_http_responses_total"].value(status="200") == 4


def test_before_any_cacheable_request_there_is_no_hit_ratio(client, token):
    families = scrape(client)

    assert families["masthead_page_cache_hit_ratio"].samples == {}
    assert families["masthead_page_cache_requests_total"].value(result="hit") == 0


def test_failed_webhook_deliveries_are_counted_by_endpoint_and_status(client, token):
    client.post("/payments/webhooks/demo/", b"not an event", content_type="application/json")
    client.post("/payments/webhooks/demo/", b"{}", content_type="application/json")
    client.post("/payments/webhooks/nosuch/", b"{}", content_type="application/json")
    # The ESPs' bounce webhooks (not configured here) and Printful's (a wrong secret).
    esp = client.post("/newsletter/esp/mailgun/tracking/", b"{}", content_type="application/json")
    printful = client.post("/shop/webhooks/printful/not-the-secret/", b"{}", "application/json")
    client.post("/newsletter/subscribe/", {})  # refused, but not a webhook

    failures = scrape(client)["masthead_webhook_failures_total"]

    assert failures.value(endpoint="payments:webhook", status="400") == 2
    assert failures.value(endpoint="payments:webhook", status="404") == 1
    assert esp.status_code >= 400
    assert failures.value(endpoint="newsletter:anymail", status=str(esp.status_code)) == 1
    assert printful.status_code >= 400
    assert failures.value(endpoint="shop:printful_webhook", status=str(printful.status_code)) == 1
    assert sum(failures.samples.values()) == 5


def test_the_task_queue_depth_and_the_age_of_its_oldest_due_task(client, token):
    token.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "emails"],
        }
    }
    file_the_story.enqueue("bridge")
    file_the_story.enqueue("library")
    file_the_story.using(queue_name="emails").enqueue("digest")
    # Due in an hour: not waiting for a worker yet.
    file_the_story.using(run_after=timezone.now() + timedelta(hours=1)).enqueue("later")
    oldest = DBTaskResult.objects.filter(args_kwargs__args=["bridge"])
    oldest.update(enqueued_at=timezone.now() - timedelta(seconds=120))

    families = scrape(client)

    ready = families["masthead_tasks_ready"]
    assert ready.value(queue="default") == 2
    assert ready.value(queue="emails") == 1
    age = families["masthead_tasks_oldest_ready_age_seconds"]
    assert 120 <= age.value(queue="default") < 150
    assert 0 <= age.value(queue="emails") < 30

    # A worker took one: it is running, no longer waiting.
    DBTaskResult.objects.filter(args_kwargs__args=["digest"]).update(status="RUNNING")
    families = scrape(client)
    assert families["masthead_tasks_ready"].get(queue="emails") is None
    assert families["masthead_tasks_running"].value(queue="emails") == 1


def test_an_empty_queue_says_zero(client, token):
    families = scrape(client)

    assert families["masthead_tasks_ready"].value(queue="default") == 0
    assert families["masthead_tasks_oldest_ready_age_seconds"].value(queue="default") == 0


def test_the_newsletter_send_rate_over_one_and_five_minutes(client, token):
    now = timezone.now()
    newsletter = Newsletter.objects.create(name="Morning briefing", slug="morning")
    campaign = Campaign.objects.create(
        subject="Tuesday", status=Campaign.Status.SENDING, last_batch_at=now
    )
    campaign.newsletters.add(newsletter)
    sent_ago = [20, 40, 50, 200, 250, 400]  # seconds
    pending = 4
    for index, seconds in enumerate(sent_ago + [None] * pending):
        subscriber = Subscriber.objects.create(email=f"reader{index}@example.org")
        Delivery.objects.create(
            campaign=campaign,
            subscriber=subscriber,
            status=Delivery.Status.SENT if seconds else Delivery.Status.PENDING,
            sent_at=now - timedelta(seconds=seconds) if seconds else None,
        )

    families = scrape(client)

    rate = families["masthead_newsletter_send_rate_per_second"]
    assert rate.value(window="1m") == pytest.approx(3 / 60)
    assert rate.value(window="5m") == pytest.approx(5 / 300)
    assert families["masthead_newsletter_deliveries_pending"].value() == pending
    assert families["masthead_metrics_collector_up"].value(collector="newsletter") == 1


def test_a_failing_collector_is_reported_and_the_rest_still_answered(
    client, token, monkeypatch, caplog
):
    def broken():
        raise RuntimeError("the database went away")

    monkeypatch.setitem(metrics._collectors, "broken", broken)

    families = scrape(client)

    up = families["masthead_metrics_collector_up"]
    assert up.value(collector="broken") == 0
    assert up.value(collector="counters") == 1
    assert up.value(collector="tasks") == 1
    assert "masthead_tasks_ready" in families
    assert "the broken collector failed" in caplog.text


def test_label_values_and_help_are_escaped():
    family = metrics.Family("masthead_test_info", "gauge", 'Help with a \\ and a\nnewline "quoted"')
    family.add(1, path='C:\\temp\\"odd"\nname', queue="plain")

    parsed = promtext.parse(metrics.render([family]))["masthead_test_info"]

    assert parsed.help == 'Help with a \\ and a\nnewline "quoted"'
    assert parsed.value(path='C:\\temp\\"odd"\nname', queue="plain") == 1


@pytest.mark.parametrize(
    "bad",
    [
        "masthead_x 1",  # no newline at the end
        'masthead_x{a="1} 1\n',
        'masthead_x{a="\\t"} 1\n',
        "# TYPE masthead_x counter\n# TYPE masthead_x counter\nmasthead_x 1\n",
        "masthead_x 1\n# TYPE masthead_x counter\n",
        '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x="1"} 2\n',
        "masthead_x one\n",
        'masthead_x{a="1"} 1\nmasthead_x{a="1"} 2\n',
    ],
)
def test_the_test_parser_is_strict(bad):
    with pytest.raises(promtext.FormatError):
        promtext.parse(bad)


def test_a_scrape_is_only_get_or_head(token):
    client = Client()
    response = client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 405
