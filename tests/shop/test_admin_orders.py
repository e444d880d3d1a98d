"""The orders admin, as an editor uses it: the listing with filters, search and a
formula-safe CSV export; an order's page and its actions (dispatch, refund per item through
the demo provider, cancel, resend the confirmation); the fulfilment queue and packing slips;
and who may do what."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from masthead.payments.models import DemoPayment
from masthead.publishing.roles import CONTRIBUTORS, EDITORS
from masthead.shop import history, orders
from masthead.shop.models import Order, OrderEvent, OrderRefund, Shipment
from tests.shop.order_helpers import line_for, make_order, stock

pytestmark = pytest.mark.django_db


def make_user(username, group):
    user = get_user_model().objects.create_user(username, f"{username}@example.org", "pw-123456")
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(client, catalogue):
    client.force_login(make_user("editor", EDITORS))
    return client


@pytest.fixture
def tee_s(catalogue):
    return catalogue.tee.variants.get(sku="TEE-S")


@pytest.fixture
def tee_m(catalogue):
    return catalogue.tee.variants.get(sku="TEE-M")


def streamed(response):
    return b"".join(response.streaming_content).decode()


def detail_url(order):
    return f"/admin/orders/inspect/{order.pk}/"


def test_the_listing_filters_by_status_and_searches_by_name(editor, tee_s, tee_m):
    paid = make_order([(tee_s, 1)], full_name="Alex Paid", email="alex@example.org")
    waiting = make_order([(tee_m, 1)], paid=False, full_name="Jo Waiting")

    everything = editor.get("/admin/orders/").content.decode()
    only_paid = editor.get("/admin/orders/?status=paid").content.decode()
    found = editor.get("/admin/orders/?q=Jo+Waiting").content.decode()

    assert paid.number in everything and waiting.number in everything
    assert "£21.50" in everything
    assert paid.number in only_paid and waiting.number not in only_paid
    assert waiting.number in found and paid.number not in found


def test_the_export_is_csv_with_formula_cells_defused(editor, tee_s):
    order = make_order([(tee_s, 2)], full_name="=HYPERLINK(1)")

    response = editor.get("/admin/orders/?export=csv")

    rows = list(csv.DictReader(io.StringIO(streamed(response))))
    assert response.status_code == 200
    assert len(rows) == 1
    assert (rows[0]["Order number"], rows[0]["Total"], rows[0]["Status"]) == (
        order.number,
        "3950",
        "paid",
    )
    assert rows[0]["Name"] == "'=HYPERLINK(1)"


def test_exporting_orders_is_written_to_the_audit_log_with_the_editor(editor, tee_s):
    from wagtail.models import ModelLogEntry

    make_order([(tee_s, 1)])
    assert not ModelLogEntry.objects.filter(action="shop.export_orders").exists()

    editor.get("/admin/orders/?status=paid")
    assert not ModelLogEntry.objects.filter(action="shop.export_orders").exists()
    response = editor.get("/admin/orders/?status=paid&export=csv")

    assert response.status_code == 200
    [entry] = ModelLogEntry.objects.filter(action="shop.export_orders")
    assert entry.user.username == "editor"
    assert entry.data == {"format": "csv", "query": "status=paid&export=csv"}
    assert entry.message == "Orders exported"


def test_an_orders_page_shows_lines_totals_address_history_and_the_actions(editor, tee_s):
    order = make_order([(tee_s, 2)])
    history.record(
        order, OrderEvent.Kind.PAID, amount=3950, currency="GBP", provider="demo", payment="pi_1"
    )

    html = editor.get(detail_url(order)).content.decode()

    assert order.number in html
    assert "TEE-S" in html and "£36.00" in html and "£39.50" in html
    assert "12 Quay Street" in html
    assert "Paid £39.50 (demo pi_1)." in html
    for action in ("dispatch", "refund", "cancel", "resend"):
        assert f'data-action="{action}"' in html


def test_marking_dispatched_emails_the_reader_on_the_real_smtp_server(
    editor, tee_s, smtp_mailbox, django_capture_on_commit_callbacks
):
    order = make_order([(tee_s, 2)])
    line = line_for(order, "TEE-S")

    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(
            detail_url(order),
            {
                "action": "dispatch",
                f"quantity_{line.pk}": "2",
                "carrier": "Royal Mail",
                "tracking_number": "RM987654321GB",
                "tracking_url": "https://www.royalmail.com/track-your-item#/RM987654321GB",
            },
        )

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.FULFILLED
    [mail] = smtp_mailbox.wait_for(1)
    assert order.number in mail.subject
    assert "RM987654321GB" in mail.text()
    assert "2 x Ledger logo tee (S)" in mail.text()


def test_a_dispatch_of_more_than_was_bought_is_refused_keeping_what_was_typed(editor, tee_s):
    order = make_order([(tee_s, 2)])
    line = line_for(order, "TEE-S")

    response = editor.post(
        detail_url(order),
        {"action": "dispatch", f"quantity_{line.pk}": "5", "carrier": "Parcelforce"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Ensure this value is less than or equal to 2." in html
    assert 'value="Parcelforce"' in html
    assert not Shipment.objects.exists()


def test_a_per_item_refund_goes_through_the_demo_provider_and_its_webhook(
    editor, tee_s, tee_m, smtp_mailbox, django_capture_on_commit_callbacks
):
    order = make_order([(tee_s, 2), (tee_m, 1)])
    m_line = line_for(order, "TEE-M")

    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(
            detail_url(order),
            {
                "action": "refund",
                "scope": "items",
                f"refund_{m_line.pk}": "1",
                "restock": "on",
                "reason": "Arrived damaged",
            },
        )

    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.refunded_amount, order.status) == (1800, Order.Status.PARTIALLY_REFUNDED)
    assert DemoPayment.objects.get(pk=order.payment_id).amount_refunded == 1800
    assert stock(tee_m) == 2
    [mail] = smtp_mailbox.wait_for(1)
    assert "We have refunded £18.00" in mail.text()
    assert "1 x Ledger logo tee (M)" in mail.text()
    page = editor.get(detail_url(order)).content.decode()
    assert "Arrived damaged" in page


@pytest.mark.parametrize(
    "data, error",
    [
        ({"scope": "items"}, "Choose how many of which items to refund."),
        ({"scope": "amount", "amount": ""}, "Say how much to refund."),
        ({"scope": "amount", "amount": "100"}, "The amount must be at most £39.50."),
        ({"scope": "amount", "amount": "abc"}, "Please enter an amount in numbers"),
        ({"scope": "sideways"}, "Select a valid choice."),
    ],
)
def test_a_refund_form_that_does_not_add_up_is_refused_and_records_nothing(
    editor, tee_s, data, error
):
    order = make_order([(tee_s, 2)])

    response = editor.post(detail_url(order), {"action": "refund", **data})

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not OrderRefund.objects.exists()
    assert DemoPayment.objects.get(pk=order.payment_id).amount_refunded == 0


def test_cancelling_needs_the_box_ticked_then_refunds_and_releases_stock(
    editor, tee_s, smtp_mailbox, django_capture_on_commit_callbacks
):
    order = make_order([(tee_s, 2)])

    unticked = editor.post(detail_url(order), {"action": "cancel", "reason": "Misprint"})
    assert unticked.status_code == 200
    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID

    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(
            detail_url(order), {"action": "cancel", "confirm": "on", "reason": "Misprint"}
        )

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert order.refunded_amount == 3950
    assert stock(tee_s) == 5
    [mail] = smtp_mailbox.wait_for(1)
    assert "cancelled" in mail.subject and "Misprint" in mail.text()


def test_resending_the_confirmation_sends_it_again(
    editor, tee_s, smtp_mailbox, django_capture_on_commit_callbacks
):
    order = make_order([(tee_s, 1)])
    with django_capture_on_commit_callbacks(execute=True):
        orders.on_paid(order)
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(detail_url(order), {"action": "resend"})

    assert response.status_code == 302

    mails = smtp_mailbox.wait_for(2)
    assert [order.number in mail.subject for mail in mails] == [True, True]


def test_the_fulfilment_queue_and_packing_slips(editor, tee_s, tee_m):
    first = make_order([(tee_s, 2)], full_name="First Reader")
    second = make_order([(tee_m, 1)], full_name="Second Reader")
    make_order([(tee_s, 1)], paid=False)

    queue = editor.get("/admin/fulfilment/").content.decode()
    slip = editor.get(f"/admin/fulfilment/slip/{first.pk}/").content.decode()
    all_slips = editor.get("/admin/fulfilment/slips/").content.decode()

    assert queue.index(first.number) < queue.index(second.number)
    assert "2 x TEE-S" in queue
    assert first.number in slip and "TEE-S" in slip and "12 Quay Street" in slip
    assert "@media print" in slip and "£" not in slip
    assert all_slips.count('data-slip="') == 2


def test_a_contributor_can_neither_see_orders_nor_act_on_them(client, catalogue, tee_s):
    order = make_order([(tee_s, 2)])
    client.force_login(make_user("writer", CONTRIBUTORS))

    listing = client.get("/admin/orders/")
    page = client.get(detail_url(order))
    action = client.post(detail_url(order), {"action": "cancel", "confirm": "on"})
    queue = client.get("/admin/fulfilment/")
    slips = client.get("/admin/fulfilment/slips/")

    # Wagtail's admin answers a refusal with a redirect to the dashboard (or a 403).
    for response in (listing, page, action, queue, slips):
        assert response.status_code in (302, 403)
        assert response.status_code == 403 or response["Location"] == "/admin/"
        assert order.number not in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_an_order_cannot_be_typed_in_or_deleted(editor, tee_s):
    order = make_order([(tee_s, 1)])

    assert editor.get("/admin/orders/new/").status_code == 302
    assert editor.post(f"/admin/orders/delete/{order.pk}/").status_code == 302
    assert Order.objects.filter(pk=order.pk).exists()


def test_orders_and_the_fulfilment_queue_are_in_the_shop_menu(editor):
    html = editor.get("/admin/").content.decode()

    assert "/admin/orders/" in html
    assert "/admin/fulfilment/" in html


def test_the_listing_filters_by_the_day_an_order_was_paid(editor, tee_s, tee_m):
    recent = make_order([(tee_s, 1)])
    older = make_order([(tee_m, 1)], paid_at=timezone.now() - timedelta(days=10))
    since = (timezone.localdate() - timedelta(days=1)).isoformat()

    html = editor.get(f"/admin/orders/?paid_at_from={since}").content.decode()

    assert recent.number in html and older.number not in html
