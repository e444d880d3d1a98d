"""Tracking links are web addresses or nothing, and the Printful webhook's secret stays out
of the logs (issue 10, defect 4, the shop's part): Printful's ``tracking_url`` is kept only
when it is an absolute http(s) address, the model refuses anything else, and the reader's
order page, the dispatch email and the order's admin page link only to such an address,
whatever reached the database."""

import json
import logging

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from masthead.publishing.roles import EDITORS
from masthead.shop import tasks
from masthead.shop.models import Shipment, ShipmentLine, web_link
from tests.shop import conftest as shop_fixtures
from tests.shop.order_helpers import make_order

pytestmark = pytest.mark.django_db

outlet = shop_fixtures.outlet
catalogue = shop_fixtures.catalogue

SECRET = "pf-hook-5f2c9e1a7b"
HOSTILE = [
    "javascript:alert(document.cookie)",
    " JavaScript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "//evil.example/track",
    "/shop/order/",
    "https://",
    "ftp://track.example/1",
]


@pytest.fixture
def poster_order(settings, catalogue):
    settings.PRINTFUL_WEBHOOK_SECRET = SECRET
    return make_order([(catalogue.poster.variants.get(), 2)])


def shipped(order, tracking_url):
    """Printful's package_shipped event for the order's poster line."""
    line = order.lines.get()
    return json.dumps(
        {
            "type": "package_shipped",
            "data": {
                "shipment": {
                    "id": 990011,
                    "carrier": "ROYAL MAIL",
                    "tracking_number": "PF123456789GB",
                    "tracking_url": tracking_url,
                    "items": [{"item_id": 55501, "quantity": 2}],
                },
                "order": {
                    "id": 87654321,
                    "external_id": order.number,
                    "items": [{"id": 55501, "external_id": str(line.pk), "quantity": 2}],
                },
            },
        }
    )


def post_webhook(client, body, secret=SECRET):
    return client.post(f"/shop/webhooks/printful/{secret}/", body, content_type="application/json")


@pytest.mark.parametrize("tracking_url", HOSTILE)
def test_printfuls_tracking_url_is_kept_only_when_it_is_a_web_address(
    client, poster_order, tracking_url, smtp_mailbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(client, shipped(poster_order, tracking_url))

    assert response.status_code == 200
    shipment = Shipment.objects.get()
    assert (shipment.carrier, shipment.tracking_number, shipment.tracking_url) == (
        "ROYAL MAIL",
        "PF123456789GB",
        "",
    )
    [mail] = smtp_mailbox.wait_for(1)
    assert "PF123456789GB" in mail.text()
    assert "Track your parcel" not in mail.text() and "Track your parcel" not in mail.html()


def test_a_web_address_from_printful_is_linked_from_the_email_and_the_order_page(
    client, poster_order, smtp_mailbox, django_capture_on_commit_callbacks
):
    url = "https://www.royalmail.com/track-your-item#/tracking-results/PF123456789GB"
    with django_capture_on_commit_callbacks(execute=True):
        post_webhook(client, shipped(poster_order, url))

    assert Shipment.objects.get().tracking_url == url
    [mail] = smtp_mailbox.wait_for(1)
    assert f'href="{url}"' in mail.html()
    page = client.get(f"/shop/order/{poster_order.token}/").content.decode()
    assert f'href="{url}"' in page


@pytest.mark.parametrize("tracking_url", HOSTILE)
def test_the_model_refuses_a_tracking_link_that_is_not_a_web_address(poster_order, tracking_url):
    shipment = Shipment(order=poster_order, carrier="Royal Mail", tracking_url=tracking_url)

    with pytest.raises(ValidationError) as refused:
        shipment.full_clean()

    assert "tracking_url" in refused.value.message_dict
    assert web_link(tracking_url) == ""


def test_the_model_takes_http_and_https_addresses(poster_order):
    for url in ("https://track.example/RM1", "http://track.example/RM1"):
        Shipment(order=poster_order, carrier="Royal Mail", tracking_url=url).full_clean()
        assert web_link(url) == url


def test_a_hostile_link_already_stored_is_never_rendered_as_a_link(
    client, poster_order, smtp_mailbox
):
    # Written before the model refused it (or by hand into the database).
    shipment = Shipment.objects.create(
        order=poster_order,
        carrier="Royal Mail",
        tracking_number="RM123",
        tracking_url="javascript:alert(document.cookie)",
    )
    ShipmentLine.objects.create(shipment=shipment, order_line=poster_order.lines.get(), quantity=2)
    editor = get_user_model().objects.create_user("editor", "editor@example.org", "pw-123456")
    editor.groups.add(Group.objects.get(name=EDITORS))

    tasks.send_dispatch_task.enqueue(shipment.pk)
    reader_page = client.get(f"/shop/order/{poster_order.token}/").content.decode()
    client.force_login(editor)
    admin_page = client.get(f"/admin/orders/inspect/{poster_order.pk}/").content.decode()

    [mail] = smtp_mailbox.wait_for(1)
    assert "RM123" in mail.text() and "RM123" in reader_page and "RM123" in admin_page
    for rendered in (mail.text(), mail.html(), reader_page, admin_page):
        assert "javascript:" not in rendered.lower()


def test_the_webhook_secret_is_not_written_to_the_logs(client, poster_order, caplog):
    caplog.set_level(logging.INFO)

    bad = post_webhook(client, b"{not json")
    wrong_method = client.get(f"/shop/webhooks/printful/{SECRET}/")

    assert (bad.status_code, wrong_method.status_code) == (400, 405)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/shop/webhooks/printful/********/" in logged
    assert SECRET not in logged
