"""An order's history is stored as a kind of event and its particulars, and made into a
sentence only when it is shown; the migration reads the sentences the shop used to store
back into kinds and particulars, keeping any it cannot read as notes."""

import importlib
import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from masthead.shop import history, orders
from masthead.shop.models import OrderEvent
from tests.shop.order_helpers import line_for, make_order

shop_0004 = importlib.import_module("masthead.shop.migrations.0004_order_event_kinds")


@pytest.fixture
def tee(catalogue):
    return catalogue.tee.variants.get(sku="TEE-S")


@pytest.mark.django_db
def test_a_dispatch_is_stored_as_its_kind_and_particulars_and_read_as_a_sentence(
    tee, django_capture_on_commit_callbacks
):
    order = make_order([(tee, 2)])
    line = line_for(order, "TEE-S")

    with django_capture_on_commit_callbacks(execute=True):
        orders.mark_dispatched(order, {line.pk: 2}, "Royal Mail", "RM123456789GB")

    event = OrderEvent.objects.get(order=order)
    assert (event.kind, event.parameters) == (
        OrderEvent.Kind.DISPATCHED,
        {
            "items": [[2, "Ledger logo tee — S"]],
            "carrier": "Royal Mail",
            "tracking_number": "RM123456789GB",
        },
    )
    assert event.message == "Dispatched 2 x Ledger logo tee — S by Royal Mail (RM123456789GB)."


@pytest.mark.django_db
def test_money_is_stored_in_minor_units_and_formatted_when_shown(tee):
    order = make_order([(tee, 2)])

    event = history.record(
        order, OrderEvent.Kind.REFUNDS_CONFIRMED, amount=105210, currency=order.currency
    )

    stored = OrderEvent.objects.get(pk=event.pk)
    assert json.dumps(stored.parameters) == '{"amount": 105210, "currency": "GBP"}'
    assert stored.message == "The payment provider confirmed refunds totalling £1,052.10."


# Sentences the shop stored before, as they were written (with the order in pounds).
OLD_SENTENCES = [
    ("Checkout started; stock held until payment or expiry.", "checkout_started"),
    ("The payment provider could not open a checkout: Stripe is down", "checkout_failed"),
    ("Replaced by a newer checkout from the same basket.", "checkout_replaced"),
    ("The reader left the payment page without paying; items released.", "checkout_abandoned"),
    ("The time to pay ran out; the items went back on sale.", "hold_expired"),
    (
        "Payment is being processed by the provider; items held until 09 Dec 2026.",
        "payment_settling",
    ),
    (
        "A payment arrived for a checkout (cs_other) this order did not open.",
        "payment_other_checkout",
    ),
    ("Paid £52.10 (demo pi_demo_1).", "paid"),
    ("Paid £1,052.10 (provider -).", "paid"),
    ("Paid after the hold ran out; the items were still available.", "paid_late"),
    (
        "Paid after the hold ran out, and the items had sold out: refunding in full.",
        "paid_late_sold_out",
    ),
    ("The provider reported €40.00; the order total is £39.50.", "amount_mismatch"),
    ("A payment attempt failed: Card declined.", "payment_failed"),
    ("A payment attempt failed.", "payment_failed"),
    (
        "The payer's bank opened a dispute for £39.50 (fraudulent); respond to it in the "
        "payment provider's dashboard.",
        "dispute_opened",
    ),
    ("Confirmation email sent again.", "confirmation_resent"),
    (
        "Dispatched 2 x Ledger logo tee — S, 1 x Riverside map poster — A3 by Royal Mail "
        "(RM123456789GB).",
        "dispatched",
    ),
    ("Dispatched 1 x Read local badge by Evri.", "dispatched"),
    (
        "Refund of £16.20 asked of the payment provider for 1 x Ledger logo tee — S, items "
        "back in stock: Wrong size.",
        "refund_requested",
    ),
    ("Refund of £5.00 asked of the payment provider.", "refund_requested"),
    (
        "Refund of £39.50 asked of the payment provider for 2 x Ledger logo tee — S: Order "
        "cancelled.",
        "refund_requested",
    ),
    ("The payment provider confirmed refunds totalling £16.20.", "refunds_confirmed"),
    ("Cancelled: Misprint.", "cancelled"),
    ("Cancelled.", "cancelled"),
    ("Printful is not configured: send the printed items by hand.", "print_not_configured"),
    ("Sent to Printful as order 87654321 (a draft to confirm in Printful).", "print_submitted"),
    ("Sent to Printful as order 87654321.", "print_submitted"),
    ("Printful: order failed (The print file could not be processed.).", "print_status"),
    ("Printful: order inprocess.", "print_status"),
    ("Printful: Printful refused the order: Malformed authorization header.", "print_refused"),
]


@pytest.mark.parametrize("sentence, kind", OLD_SENTENCES)
def test_an_old_sentence_is_read_back_into_a_kind_that_shows_the_same_sentence(sentence, kind):
    read_kind, parameters = shop_0004.read_sentence(sentence, "GBP")

    assert read_kind == kind
    assert OrderEvent(kind=read_kind, parameters=parameters).message == sentence


def test_amounts_are_read_back_in_minor_units_with_their_currency():
    assert shop_0004.read_sentence(
        "The provider reported €40.00; the order total is £39.50.", "GBP"
    ) == (
        "amount_mismatch",
        {"paid": 4000, "paid_currency": "EUR", "total": 3950, "currency": "GBP"},
    )


@pytest.mark.parametrize(
    "sentence",
    [
        "Commande payée : 52,10 £.",
        "Paid lots (demo pi_1).",
        "Called the reader about the missing parcel",
    ],
)
def test_a_sentence_that_cannot_be_read_back_is_kept_as_a_note(sentence):
    kind, parameters = shop_0004.read_sentence(sentence, "GBP")

    assert (kind, parameters) == ("note", {"text": sentence})
    assert OrderEvent(kind=kind, parameters=parameters).message == sentence


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_converts_the_stored_history(tee):
    order = make_order([(tee, 2)])
    executor = MigrationExecutor(connection)
    before, after = [("shop", "0003_refund_claims")], [("shop", "0004_order_event_kinds")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    OldEvent = old_apps.get_model("shop", "OrderEvent")
    OldEvent.objects.create(order_id=order.pk, message="Paid £39.50 (demo pi_demo_1).")
    OldEvent.objects.create(order_id=order.pk, message="Appelé la lectrice.")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    # The database as the rest of the suite expects it: every later migration applied again.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    events = OrderEvent.objects.filter(order=order).order_by("pk")
    assert [(event.kind, event.parameters) for event in events] == [
        (
            "paid",
            {"amount": 3950, "currency": "GBP", "provider": "demo", "payment": "pi_demo_1"},
        ),
        ("note", {"text": "Appelé la lectrice."}),
    ]
    assert [event.message for event in events] == [
        "Paid £39.50 (demo pi_demo_1).",
        "Appelé la lectrice.",
    ]
