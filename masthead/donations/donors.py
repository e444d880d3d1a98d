"""A donor as the outlet knows them: by email address, with no account or password.

Their gifts and monthly gifts are found by address, and their own page is reached through a
signed link that names the address and expires (``settings.DONATIONS_MANAGE_LINK_MAX_AGE``).
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from masthead.core.sites import absolute_url
from masthead.donations.models import Donation, RecurringDonation

MANAGE_LINK_SALT = "masthead.donations.manage"


def normalise_email(email):
    """An address as donations are looked up by it: trimmed and lower case."""
    return (email or "").strip().lower()


def manage_link_minutes():
    """How long a "manage my support" link works, in whole minutes (as emails say it)."""
    return settings.DONATIONS_MANAGE_LINK_MAX_AGE // 60


def manage_token(email):
    """A signed token naming the donor's address, for a "manage my support" link."""
    return signing.dumps(normalise_email(email), salt=MANAGE_LINK_SALT)


def read_manage_token(token):
    """The address a manage token names; raises signing.SignatureExpired once it is older
    than the link's lifetime, signing.BadSignature if it was altered."""
    return signing.loads(
        token, salt=MANAGE_LINK_SALT, max_age=settings.DONATIONS_MANAGE_LINK_MAX_AGE
    )


def manage_url(email):
    """The absolute "manage my support" link for an address, as emails carry it."""
    return absolute_url(reverse("donations:manage_donor", args=[manage_token(email)]))


def donations_for(email):
    """A donor's donations worth showing them (not abandoned checkouts), newest first.
    None for a blank address (what an erased or trimmed gift keeps)."""
    if not normalise_email(email):
        return Donation.objects.none()
    return Donation.objects.filter(email__iexact=normalise_email(email)).exclude(
        status__in=[Donation.Status.PENDING, Donation.Status.EXPIRED]
    )


def recurring_for(email):
    """A donor's monthly gifts that started, newest first (none for a blank address)."""
    if not normalise_email(email):
        return RecurringDonation.objects.none()
    return RecurringDonation.objects.filter(
        email__iexact=normalise_email(email), started_at__isnull=False
    )


def is_known_donor(email):
    """Whether the address has given (a paid or attempted gift, or a monthly gift)."""
    return donations_for(email).exists() or recurring_for(email).exists()
