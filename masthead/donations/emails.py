"""The emails donors get: the receipt for each payment, the notice that a monthly payment
failed, the confirmation that a monthly gift stopped, and the "manage my support" link.

Each is sent by a task (``tasks.py``) enqueued after the commit that decided it, and none
is sent while a database lock or transaction is held: on SQLite that would hold the only
write lock for the whole SMTP exchange.

A receipt is sent once per payment: claim, send, record. The sender claims the receipt with
a short lease (a conditional UPDATE that commits at once), sends with no transaction open,
then records ``receipt_sent_at``. A replayed event or a second task finds the receipt sent
or claimed and sends nothing. If sending fails the claim is handed back and the error
raised, so the task fails visibly and may be run again. If the sender dies between claim
and record, its lease runs out and the periodic ``retry_stalled_receipts`` sends it again:
a donor may then get a second copy of a receipt the server had in fact accepted, which we
prefer to never sending one (a receipt is what a donor keeps for their records).
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from masthead.core.emails import send_transactional_email
from masthead.core.sites import absolute_url, outlet_name
from masthead.donations.donors import (
    is_known_donor,
    manage_link_minutes,
    manage_url,
    normalise_email,
)
from masthead.donations.models import Donation, RecurringDonation


def _send(template, subject, to, context):
    send_transactional_email(f"donations/email/{template}", subject, to, context)


def _claim_receipt(donation_id):
    """Claim a paid donation's unsent receipt for this sender (committed at once); returns
    the lease's expiry, or None when it is sent, not paid, claimed by a live sender, or
    has no address any more (its donor was erased)."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.DONATIONS_RECEIPT_LEASE_SECONDS)
    claimed = (
        Donation.objects.filter(
            Q(receipt_lease_expires_at__isnull=True) | Q(receipt_lease_expires_at__lt=now),
            pk=donation_id,
            receipt_sent_at__isnull=True,
            paid_at__isnull=False,
        )
        .exclude(email="")
        .update(receipt_lease_expires_at=lease)
    )
    return lease if claimed else None


def send_receipt(donation_id):
    """Email the receipt for one paid donation, once; True if it was sent now."""
    lease = _claim_receipt(donation_id)
    if lease is None:
        return False
    donation = Donation.objects.select_related("recurring").get(pk=donation_id)
    try:
        _send(
            "receipt",
            _("Your receipt from %(outlet)s") % {"outlet": outlet_name()},
            donation.email,
            {"donation": donation, "manage_url": absolute_url(reverse("donations:manage"))},
        )
    except Exception:
        # Nothing was sent: hand the claim back so that running the task again sends it.
        Donation.objects.filter(pk=donation_id, receipt_lease_expires_at=lease).update(
            receipt_lease_expires_at=None
        )
        raise
    Donation.objects.filter(pk=donation_id).update(
        receipt_sent_at=timezone.now(), receipt_lease_expires_at=None
    )
    return True


def stalled_receipts():
    """Donations whose receipt was claimed by a sender that never recorded it in time."""
    return Donation.objects.filter(
        receipt_sent_at__isnull=True, receipt_lease_expires_at__lt=timezone.now()
    ).values_list("pk", flat=True)


def send_failed_renewal_notice(donation_id):
    """Tell a monthly supporter a renewal failed, with a link to fix their card."""
    donation = Donation.objects.select_related("recurring").filter(pk=donation_id).first()
    if donation is None or donation.status != Donation.Status.FAILED:
        return False
    email = donation.recurring.email if donation.recurring else donation.email
    if not email:
        return False
    _send(
        "renewal_failed",
        _("Your monthly support for %(outlet)s could not be taken") % {"outlet": outlet_name()},
        email,
        {
            "donation": donation,
            "manage_url": manage_url(email),
            "valid_minutes": manage_link_minutes(),
        },
    )
    return True


def send_cancellation_confirmation(recurring_id):
    """Confirm to a supporter that their monthly gift has stopped."""
    recurring = RecurringDonation.objects.filter(
        pk=recurring_id, status=RecurringDonation.Status.CANCELLED
    ).first()
    if recurring is None or not recurring.email:
        # Erased before the confirmation went: there is no one to tell.
        return False
    _send(
        "cancelled",
        _("Your monthly support for %(outlet)s has stopped") % {"outlet": outlet_name()},
        recurring.email,
        {"recurring": recurring, "donate_url": absolute_url(reverse("donations:donate"))},
    )
    return True


def send_manage_link(email):
    """Email a sign-in link to a donor's own page, if the address has given before.

    The page that asks says the same whether or not the address is known, so nobody can
    learn who gives; returns whether a link was sent (for tests and logs only).
    """
    email = normalise_email(email)
    if not is_known_donor(email):
        return False
    _send(
        "manage_link",
        _("Manage your support for %(outlet)s") % {"outlet": outlet_name()},
        email,
        {"manage_url": manage_url(email), "valid_minutes": manage_link_minutes()},
    )
    return True
