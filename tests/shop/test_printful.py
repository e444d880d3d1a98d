"""Print on demand through Printful, answered by recorded responses at the HTTP layer: an
order is created once even across retries and timeouts, an editor's "send to Printful" is
checked and written to the audit log, and the webhook records each shipment once (with the
dispatch email), refusing wrong secrets and unreadable bodies."""

import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from wagtail.models import ModelLogEntry

from masthead.core.actions import ActionNotPermitted
from masthead.publishing.roles import CONTRIBUTORS, EDITORS
from masthead.shop import actions, orders
from masthead.shop.fulfilment import printful
from masthead.shop.fulfilment.base import FulfilmentError
from masthead.shop.fulfilment.printful import HttpResponse
from masthead.shop.models import Order, OrderEvent, Shipment
from masthead.shop.print_on_demand import submit_order
from tests.shop.order_helpers import history, line_for, make_order

pytestmark = pytest.mark.django_db

RECORDED = Path(__file__).parent / "recorded" / "printful"
SECRET = "pf-hook-5f2c9e1a7b"


def recorded(name, order=None):
    """A recorded body, with the order's number and line ids filled in."""
    text = (RECORDED / name).read_text()
    if order is not None:
        line = order.lines.get(fulfilment="printful")
        text = text.replace("MH-PLACEHOLDER", order.number).replace(
            '"external_id": "LINE"', f'"external_id": "{line.pk}"'
        )
    return text.encode()


class RecordedPrintful:
    """Answers Printful API calls from a script: {"GET /orders/@MH-1": [answer, ...]}, each
    answer (status, body bytes) or an exception to raise. Keeps every request."""

    def __init__(self, script):
        self.script = {key: list(value) for key, value in script.items()}
        self.requests = []

    def request(self, method, url, headers, body=None, timeout=None):
        path = url.removeprefix(printful.API_BASE)
        self.requests.append(
            {
                "method": method,
                "path": path,
                "headers": headers,
                "json": json.loads(body) if body else None,
            }
        )
        answer = self.script[f"{method} {path.split('?')[0]}"].pop(0)
        if isinstance(answer, Exception):
            raise answer
        return HttpResponse(*answer)

    def calls(self, method):
        return [request for request in self.requests if request["method"] == method]


@pytest.fixture
def printful_settings(settings, outlet):
    settings.PRINTFUL_API_KEY = "pf-test-token"
    settings.PRINTFUL_WEBHOOK_SECRET = SECRET
    settings.PRINTFUL_CONFIRM_ORDERS = False
    return settings


@pytest.fixture
def poster_order(catalogue, printful_settings):
    poster = catalogue.poster.variants.get()
    tee = catalogue.tee.variants.get(sku="TEE-S")
    return make_order([(poster, 2), (tee, 1)])


@pytest.fixture
def use_client(monkeypatch):
    def install(script):
        client = RecordedPrintful(script)
        monkeypatch.setattr(printful, "http_client", client)
        return client

    return install


def test_a_paid_order_is_created_at_printful_once_with_its_number_and_print_lines(
    poster_order, use_client, django_capture_on_commit_callbacks
):
    number = poster_order.number
    client = use_client(
        {
            f"GET /orders/@{number}": [(404, recorded("order_not_found.json"))],
            "POST /orders": [(200, recorded("order.json", poster_order))],
        }
    )

    with django_capture_on_commit_callbacks(execute=True):
        orders.on_paid(poster_order)
    assert submit_order(poster_order.pk) == "87654321"

    [post] = client.calls("POST")
    assert post["path"] == "/orders?confirm=false"
    assert post["headers"]["Authorization"] == "Bearer pf-test-token"
    body = post["json"]
    assert body["external_id"] == number
    assert body["recipient"]["country_code"] == "GB" and body["recipient"]["zip"] == "RV1 2AB"
    poster_line = line_for(poster_order, "POSTER-A3")
    assert body["items"] == [
        {
            "external_id": str(poster_line.pk),
            "external_variant_id": "pf-4011",
            "quantity": 2,
            "retail_price": "12.00",
            "name": "Riverside map poster A3",
        }
    ]
    assert len(client.requests) == 2
    poster_order.refresh_from_db()
    assert (poster_order.pod_provider, poster_order.pod_order_id) == ("printful", "87654321")
    assert poster_order.pod_status == "draft"
    assert history(poster_order)[-1] == (
        "Sent to Printful as order 87654321 (a draft to confirm in Printful)."
    )


def test_a_retry_after_a_timeout_finds_the_order_and_never_posts_again(poster_order, use_client):
    number = poster_order.number
    client = use_client(
        {
            f"GET /orders/@{number}": [
                (404, recorded("order_not_found.json")),
                (200, recorded("order.json", poster_order)),
            ],
            # The POST reached Printful, but the answer never came back.
            "POST /orders": [TimeoutError("timed out")],
        }
    )

    with pytest.raises(FulfilmentError, match="could not be reached"):
        submit_order(poster_order.pk)
    assert Order.objects.get(pk=poster_order.pk).pod_order_id == ""

    assert submit_order(poster_order.pk) == "87654321"

    assert len(client.calls("POST")) == 1
    assert Order.objects.get(pk=poster_order.pk).pod_order_id == "87654321"


def test_a_post_that_finds_the_external_id_taken_reads_the_order_back(poster_order, use_client):
    number = poster_order.number
    client = use_client(
        {
            f"GET /orders/@{number}": [
                (404, recorded("order_not_found.json")),
                (200, recorded("order.json", poster_order)),
            ],
            "POST /orders": [(400, recorded("order_exists.json"))],
        }
    )

    assert submit_order(poster_order.pk) == "87654321"
    assert len(client.calls("POST")) == 1


def test_a_refusal_is_written_to_the_history_and_nothing_is_recorded(poster_order, use_client):
    use_client({f"GET /orders/@{poster_order.number}": [(401, recorded("unauthorised.json"))]})

    with pytest.raises(FulfilmentError, match="Malformed authorization header"):
        submit_order(poster_order.pk)

    poster_order.refresh_from_db()
    assert poster_order.pod_order_id == ""
    assert history(poster_order)[-1].endswith("Malformed authorization header.")


def test_an_unconfigured_printful_leaves_a_note_and_calls_nobody(
    poster_order, use_client, settings
):
    settings.PRINTFUL_API_KEY = ""
    client = use_client({})

    assert submit_order(poster_order.pk) is None

    assert client.requests == []
    assert history(poster_order) == ["Printful is not configured: send the printed items by hand."]


def make_user(username, group):
    user = get_user_model().objects.create_user(username, f"{username}@example.org", "pw-123456")
    user.groups.add(Group.objects.get(name=group))
    return user


def test_an_editors_send_to_printful_from_the_orders_page_is_logged_with_their_name(
    client, poster_order, use_client
):
    editor = make_user("editor", EDITORS)
    client.force_login(editor)
    use_client(
        {
            f"GET /orders/@{poster_order.number}": [(404, recorded("order_not_found.json"))],
            "POST /orders": [(200, recorded("order.json", poster_order))],
        }
    )

    response = client.post(f"/admin/orders/inspect/{poster_order.pk}/", {"action": "printful"})

    assert response.status_code == 302
    poster_order.refresh_from_db()
    assert poster_order.pod_order_id == "87654321"
    event = poster_order.events.get(kind=OrderEvent.Kind.PRINT_SUBMITTED)
    assert event.user == editor
    entry = ModelLogEntry.objects.get(object_id=str(poster_order.pk))
    assert (entry.action, entry.user, entry.data) == (
        "shop.send_to_printful",
        editor,
        {"printful_order": "87654321"},
    )


def test_a_send_to_printful_without_the_permission_is_refused_and_calls_nobody(
    poster_order, use_client
):
    client = use_client({})

    with pytest.raises(ActionNotPermitted):
        actions.SendToPrintful(poster_order, make_user("writer", CONTRIBUTORS)).execute()

    assert client.requests == []
    poster_order.refresh_from_db()
    assert poster_order.pod_order_id == ""
    assert history(poster_order) == []
    assert not ModelLogEntry.objects.filter(object_id=str(poster_order.pk)).exists()


def webhook(client, body, secret=SECRET):
    return client.post(f"/shop/webhooks/printful/{secret}/", body, content_type="application/json")


def test_a_shipped_package_is_recorded_once_and_emailed_once(
    client, poster_order, smtp_mailbox, django_capture_on_commit_callbacks
):
    body = recorded("webhook_package_shipped.json", poster_order)

    with django_capture_on_commit_callbacks(execute=True):
        first = webhook(client, body)
    with django_capture_on_commit_callbacks(execute=True):
        replay = webhook(client, body)

    assert (first.status_code, replay.status_code) == (200, 200)
    [shipment] = Shipment.objects.all()
    assert (shipment.carrier, shipment.tracking_number) == ("ROYAL MAIL", "PF123456789GB")
    assert shipment.external_id == "printful-990011"
    poster_line = line_for(poster_order, "POSTER-A3")
    assert poster_line.quantity_dispatched == 2
    poster_order.refresh_from_db()
    # The tee is the outlet's to send: the order is only partly on its way.
    assert poster_order.status == Order.Status.PARTIALLY_FULFILLED
    [mail] = smtp_mailbox.wait_for(1)
    assert "PF123456789GB" in mail.text() and "2 x Riverside map poster (A3)" in mail.text()
    assert len(smtp_mailbox.messages) == 1


def test_a_failed_order_is_noted_once(client, poster_order):
    body = recorded("webhook_order_failed.json", poster_order)

    webhook(client, body)
    webhook(client, body)

    poster_order.refresh_from_db()
    assert poster_order.pod_status == "failed"
    assert [message for message in history(poster_order) if message.startswith("Printful")] == [
        "Printful: order failed (The print file could not be processed.)."
    ]


def test_an_updated_order_changes_its_printful_status(client, poster_order):
    webhook(client, recorded("webhook_order_updated.json", poster_order))

    assert Order.objects.get(pk=poster_order.pk).pod_status == "inprocess"


@pytest.mark.parametrize("secret", ["wrong-secret", SECRET[:-1], SECRET + "x"])
def test_a_wrong_secret_is_a_404_and_changes_nothing(client, poster_order, secret):
    response = webhook(client, recorded("webhook_package_shipped.json", poster_order), secret)

    assert response.status_code == 404
    assert not Shipment.objects.exists()


def test_no_configured_secret_switches_the_endpoint_off(client, poster_order, settings):
    settings.PRINTFUL_WEBHOOK_SECRET = ""

    response = webhook(client, recorded("webhook_package_shipped.json", poster_order), "")

    assert response.status_code == 404


@pytest.mark.parametrize(
    "body", [b"{not json", b"[1, 2]", b'{"type": "package_shipped"}', b"\xff\xfe"]
)
def test_an_unreadable_body_is_a_400(client, poster_order, body):
    response = webhook(client, body)

    assert response.status_code == 400
    assert not Shipment.objects.exists()


def test_the_webhook_takes_only_posts_of_a_sensible_size(client, poster_order):
    assert client.get(f"/shop/webhooks/printful/{SECRET}/").status_code == 405
    huge = b'{"type": "order_updated", "data": {"pad": "' + b"x" * 300_000 + b'"}}'
    assert webhook(client, huge).status_code == 413


def test_events_for_orders_made_outside_the_shop_are_ignored(client, poster_order):
    body = recorded("webhook_package_shipped.json").replace(b"MH-PLACEHOLDER", b"")

    response = webhook(client, body)

    assert response.status_code == 200
    assert not Shipment.objects.exists()
