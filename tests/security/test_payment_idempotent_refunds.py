"""The demo provider honours idempotency keys on refunds as Stripe does: a refund asked
again with the same key (a retry after a crash) gets the first refund back, with no second
refund and no second event; the same key for another payment or amount is refused."""

import pytest

from masthead.donations.models import Donation
from masthead.donations.refunds import refund_donation
from masthead.payments import services
from masthead.payments.models import DemoPayment, DemoRefund, ProviderEvent
from masthead.payments.providers.base import PaymentProviderError
from masthead.payments.providers.demo import DemoProvider
from tests.donations.helpers import give_and_pay, open_outlet

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(client, settings):
    """Two paid one-off gifts of £25 through the demo provider."""
    open_outlet(settings)
    first = give_and_pay(client, frequency="one_off", amount="2500")
    second = give_and_pay(client, frequency="one_off", amount="2500", email="other@example.org")
    return first, second


def refund_events():
    return ProviderEvent.objects.filter(event_type="charge.refunded").count()


def test_the_same_key_twice_refunds_once(paid):
    donation, _other = paid
    provider = DemoProvider()

    first = provider.refund(donation.payment_id, 500, idempotency_key="refund-key-1")
    again = provider.refund(donation.payment_id, 500, idempotency_key="refund-key-1")

    assert first == again
    assert DemoPayment.objects.get(pk=donation.payment_id).amount_refunded == 500
    assert list(DemoRefund.objects.values_list("id", "amount")) == [(first, 500)]
    assert refund_events() == 1
    donation.refresh_from_db()
    assert donation.refunded_amount == 500


def test_a_new_key_is_a_new_refund(paid):
    donation, _other = paid

    services.refund(donation.payment_id, 500, provider_name="demo", idempotency_key="a")
    services.refund(donation.payment_id, 500, provider_name="demo", idempotency_key="b")

    assert DemoPayment.objects.get(pk=donation.payment_id).amount_refunded == 1000
    assert refund_events() == 2


@pytest.mark.parametrize("change", ["other payment", "other amount"])
def test_the_same_key_for_another_request_is_refused(paid, change):
    donation, other = paid
    DemoProvider().refund(donation.payment_id, 500, idempotency_key="refund-key-1")
    payment_id, amount = (
        (other.payment_id, 500) if change == "other payment" else (donation.payment_id, 700)
    )

    with pytest.raises(PaymentProviderError, match="same parameters"):
        DemoProvider().refund(payment_id, amount, idempotency_key="refund-key-1")

    assert sorted(DemoPayment.objects.values_list("amount_refunded", flat=True)) == [0, 500]
    assert refund_events() == 1


def test_a_donation_refund_retried_after_a_crash_is_not_refunded_twice(paid):
    """The editor's refund reached the provider, then the server died before recording it:
    the retry starts from the same (stale) donation and sends the same key."""
    donation, _other = paid
    stale = Donation.objects.get(pk=donation.pk)
    crashed = Donation.objects.get(pk=donation.pk)
    refund_donation(crashed, 1000)

    refund_donation(stale, 1000)

    assert DemoPayment.objects.get(pk=donation.payment_id).amount_refunded == 1000
    assert refund_events() == 1
    donation.refresh_from_db()
    assert (donation.refunded_amount, donation.status) == (1000, "paid")
