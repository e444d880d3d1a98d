"""The editors' order actions (dispatch, refund, cancel, resend the confirmation) check the
acting user's permission themselves and write who did it to Wagtail's audit log, whoever
calls them; the orders admin goes through them."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from wagtail.models import ModelLogEntry

from masthead.core.actions import ActionNotPermitted
from masthead.payments.models import DemoPayment
from masthead.publishing.roles import CONTRIBUTORS, EDITORS
from masthead.shop import actions
from masthead.shop.models import Order, OrderEvent, OrderRefund, Shipment
from tests.shop.order_helpers import line_for, make_order, stock

pytestmark = pytest.mark.django_db


def make_user(username, group, **fields):
    user = get_user_model().objects.create_user(
        username, f"{username}@example.org", "pw-123456", **fields
    )
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def tee(catalogue):
    return catalogue.tee.variants.get(sku="TEE-S")


def every_action(order, user):
    line = line_for(order, "TEE-S")
    return {
        "dispatch": actions.DispatchOrder(
            order, user, quantities={line.pk: 1}, carrier="Royal Mail", tracking_number="RM1"
        ),
        "refund": actions.RefundOrder(order, user, lines={line.pk: 1}, restock=True),
        "cancel": actions.CancelOrder(order, user, reason="Misprint"),
        "resend": actions.ResendConfirmation(order, user),
    }


def log_entries(order):
    return list(
        ModelLogEntry.objects.filter(object_id=str(order.pk))
        .order_by("pk")
        .values_list("action", "user__username")
    )


@pytest.mark.parametrize("name", ["dispatch", "refund", "cancel", "resend"])
@pytest.mark.parametrize(
    "who", ["contributor", "nobody", "inactive editor"], ids=["contributor", "none", "inactive"]
)
def test_an_action_without_the_permission_is_refused_and_changes_nothing(
    catalogue, tee, name, who, django_capture_on_commit_callbacks
):
    user = {
        "contributor": lambda: make_user("writer", CONTRIBUTORS),
        "nobody": lambda: None,
        "inactive editor": lambda: make_user("gone", EDITORS, is_active=False),
    }[who]()
    order = make_order([(tee, 2)])
    Order.objects.filter(pk=order.pk).update(confirmation_sent_at=order.created_at)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ActionNotPermitted),
    ):
        every_action(order, user)[name].execute()

    assert callbacks == []
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.confirmation_sent_at == order.created_at
    assert [line.quantity_dispatched for line in order.lines.all()] == [0]
    assert [line.quantity_refunded for line in order.lines.all()] == [0]
    assert stock(tee) == 3
    assert not Shipment.objects.exists()
    assert not OrderRefund.objects.exists()
    assert DemoPayment.objects.get(pk=order.payment_id).amount_refunded == 0
    assert not OrderEvent.objects.exists()
    assert log_entries(order) == []


@pytest.mark.parametrize(
    "name, log_action, event_kind",
    [
        ("dispatch", "shop.dispatch_order", OrderEvent.Kind.DISPATCHED),
        ("refund", "shop.refund_order", OrderEvent.Kind.REFUND_REQUESTED),
        ("cancel", "shop.cancel_order", OrderEvent.Kind.CANCELLED),
        ("resend", "shop.resend_confirmation", OrderEvent.Kind.CONFIRMATION_RESENT),
    ],
)
def test_an_editors_action_is_done_and_logged_with_their_name(
    catalogue, tee, name, log_action, event_kind, django_capture_on_commit_callbacks
):
    editor = make_user("editor", EDITORS)
    order = make_order([(tee, 2)])

    with django_capture_on_commit_callbacks(execute=True):
        every_action(order, editor)[name].execute()

    assert log_entries(order) == [(log_action, "editor")]
    assert OrderEvent.objects.get(order=order, kind=event_kind).user == editor


def test_the_refund_log_entry_keeps_what_was_refunded(
    catalogue, tee, django_capture_on_commit_callbacks
):
    editor = make_user("editor", EDITORS)
    order = make_order([(tee, 2)])
    line = line_for(order, "TEE-S")

    with django_capture_on_commit_callbacks(execute=True):
        record = actions.RefundOrder(
            order, editor, lines={line.pk: 1}, restock=True, reason="Wrong size"
        ).execute()

    entry = ModelLogEntry.objects.get(object_id=str(order.pk))
    assert entry.data == {
        "refund": record.pk,
        "amount": 1800,
        "currency": "GBP",
        "lines": {str(line.pk): 1},
        "restocked": True,
        "reason": "Wrong size",
    }
    assert stock(tee) == 4


def test_a_refusal_by_the_orders_service_is_not_logged(catalogue, tee):
    editor = make_user("editor", EDITORS)
    order = make_order([(tee, 2)], paid=False)

    with pytest.raises(ValueError, match="Only a paid order can be refunded"):
        actions.RefundOrder(order, editor).execute()

    assert log_entries(order) == []


def test_the_admins_refund_form_goes_through_the_action(
    client, catalogue, tee, django_capture_on_commit_callbacks
):
    editor = make_user("editor", EDITORS)
    client.force_login(editor)
    order = make_order([(tee, 2)])
    line = line_for(order, "TEE-S")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/orders/inspect/{order.pk}/",
            {"action": "refund", "scope": "items", f"refund_{line.pk}": "1"},
        )

    assert response.status_code == 302
    assert log_entries(order) == [("shop.refund_order", "editor")]
    history = client.get(f"/admin/orders/history/{order.pk}/").content.decode()
    assert "Order refunded" in history
