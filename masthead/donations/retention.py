"""How long donations keep what identifies a donor when no money came of the gift.

A checkout abandoned, expired or failed leaves a donation row with the donor's address,
public name and message. After ``settings.DONATIONS_UNPAID_RETENTION_DAYS`` those are
cleared; the row itself, with its amount, kind and dates, stays for the figures (how many
gifts were started and not finished). A monthly gift that never started loses its address
the same way. Paid gifts keep theirs: they are the outlet's financial records.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from masthead.donations.models import Donation, RecurringDonation

NEVER_PAID = (Donation.Status.PENDING, Donation.Status.EXPIRED, Donation.Status.FAILED)
# A monthly gift with a payment in one of these states has money in it (or on its way).
MONEY_CAME = (Donation.Status.PAID, Donation.Status.REFUNDED, Donation.Status.PROCESSING)


def trim_unpaid_gifts(now=None):
    """Periodic job: clear the address, public name and message of donations never paid,
    and the address of monthly gifts never started, once older than the retention time.
    Idempotent; returns (donations, monthly gifts) trimmed by this run."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.DONATIONS_UNPAID_RETENTION_DAYS)
    donations = (
        Donation.objects.filter(status__in=NEVER_PAID, paid_at__isnull=True, created_at__lt=cutoff)
        .exclude(email="", public_name="", message="")
        .update(email="", public_name="", message="")
    )
    never_started = (
        RecurringDonation.objects.filter(started_at__isnull=True, created_at__lt=cutoff)
        .exclude(email="")
        .exclude(payments__status__in=MONEY_CAME)
    )
    supporters = RecurringDonation.objects.filter(pk__in=never_started.values("pk")).update(
        email=""
    )
    return donations, supporters
