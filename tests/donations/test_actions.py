"""The refund action: only an editor who may change donations can give a reader's money
back; a refusal changes nothing here or at the provider, and every refund is in the audit
log with the editor who made it."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from wagtail.models import ModelLogEntry

from masthead.core.actions import ActionNotPermitted
from masthead.donations.actions import RefundDonation
from masthead.payments.models import DemoPayment
from tests.donations.helpers import give_and_pay

pytestmark = pytest.mark.django_db


def user_with(username, *codenames):
    """A staff member with only these donations permissions (read afresh, so nothing is
    cached)."""
    user = User.objects.create_user(username, f"{username}@example.org", "a-long-password")
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="donations", codename__in=codenames)
    )
    return User.objects.get(pk=user.pk)


def logged(donation):
    """The donation's audit log as (action, username, data), oldest first."""
    return [
        (entry.action, entry.user.username, entry.data)
        for entry in ModelLogEntry.objects.for_instance(donation).order_by("pk")
    ]


@pytest.fixture
def paid_gift(client, outlet):
    return give_and_pay(client, frequency="one_off", amount="2500")


def test_an_editor_who_may_only_view_donations_cannot_refund_and_nothing_changes(paid_gift):
    viewer = user_with("viewer", "view_donation")

    with pytest.raises(ActionNotPermitted):
        RefundDonation(paid_gift, viewer).execute()

    paid_gift.refresh_from_db()
    assert (paid_gift.status, paid_gift.refunded_amount) == ("paid", 0)
    assert DemoPayment.objects.get().amount_refunded == 0
    assert logged(paid_gift) == []


def test_an_editor_in_the_editors_group_cannot_refund(paid_gift):
    writer = User.objects.create_user("writer", "w@example.org", "a-long-password")
    writer.groups.add(Group.objects.get(name="Editors"))

    with pytest.raises(ActionNotPermitted):
        RefundDonation(paid_gift, User.objects.get(pk=writer.pk), 1000).execute()

    assert DemoPayment.objects.get().amount_refunded == 0
    assert logged(paid_gift) == []


def test_nobody_signed_in_cannot_refund(paid_gift):
    with pytest.raises(ActionNotPermitted):
        RefundDonation(paid_gift, None).execute()

    assert DemoPayment.objects.get().amount_refunded == 0


def test_a_permitted_editors_refunds_are_made_and_logged_with_their_name(paid_gift):
    treasurer = user_with("treasurer", "change_donation")

    RefundDonation(paid_gift, treasurer, 1000).execute()
    paid_gift.refresh_from_db()
    donation = RefundDonation(paid_gift, treasurer).execute()

    assert (donation.status, donation.refunded_amount) == ("refunded", 2500)
    assert DemoPayment.objects.get().amount_refunded == 2500
    assert logged(paid_gift) == [
        ("donations.refund", "treasurer", {"amount": 1000, "currency": "GBP"}),
        ("donations.refund", "treasurer", {"amount": 1500, "currency": "GBP"}),
    ]


def test_a_refund_from_the_admin_goes_through_the_action_and_is_logged(client, paid_gift):
    boss = User.objects.create_superuser("boss", "boss@example.org", "a-long-password")
    client.force_login(boss)

    response = client.post(f"/admin/donations/refund/{paid_gift.pk}/", {"amount": "5"})

    assert response.status_code == 302
    assert logged(paid_gift) == [
        ("donations.refund", "boss", {"amount": 500, "currency": "GBP"}),
    ]
    history = client.get(f"/admin/donations/history/{paid_gift.pk}/").content.decode()
    assert "Donation refunded" in history
