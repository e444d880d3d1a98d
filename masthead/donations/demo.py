"""The donations' share of the demo outlet: a year of costs, goals and readers' gifts, so
the funding page has a story to tell. Every supporter is fictional (example.org addresses)
and every payment is marked as made through the demo provider."""

import random
from calendar import monthrange
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from masthead.donations.checkout import PURPOSE as DONATION_PURPOSE
from masthead.donations.models import (
    CostCategory,
    Donation,
    FundingGoal,
    MonthlyCost,
    RecurringDonation,
)
from masthead.payments.models import DemoSubscription

DEMO_PROVIDER = "demo"
DEMO_EMAIL_DOMAIN = "supporters.example.org"
# Typical monthly costs of a small outlet, in pence, by the categories the migration seeds.
MONTHLY_COSTS = {
    "Hosting": 4_500,
    "Website subscriptions": 3_200,
    "Photo media subscriptions": 6_000,
    "Newswire services": 12_000,
    "Marketing": 4_000,
    "Other": 1_500,
}
MONTHS = 12
DEMO_NOTE = "Demo figure"
DEMO_GOAL = 30_000


def _month_starts(today, count):
    """The first day of this month and of the ``count - 1`` months before it, oldest first."""
    months = []
    month = today.replace(day=1)
    for _ in range(count):
        months.append(month)
        month = (month - timedelta(days=1)).replace(day=1)
    return list(reversed(months))


def demo_is_present():
    return Donation.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}").exists()


@transaction.atomic
def build_demo_part():
    """Record a year of costs and goals, and the gifts of a growing band of supporters."""
    rng = random.Random(20261129)  # noqa: S311 - demo figures, not security
    today = timezone.localdate()
    months = _month_starts(today, MONTHS)
    categories = {category.name: category for category in CostCategory.objects.all()}
    for month in months:
        for name, amount in MONTHLY_COSTS.items():
            if name in categories:
                # An editor's own figure for a month and category is kept as it is.
                MonthlyCost.objects.get_or_create(
                    month=month,
                    category=categories[name],
                    defaults={"amount": amount + rng.randrange(-5, 6) * 100, "note": DEMO_NOTE},
                )
        FundingGoal.objects.get_or_create(month=month, defaults={"amount": DEMO_GOAL})

    supporters = []
    for number in range(1, 25):
        started = months[min(MONTHS - 1, number // 2)]
        amount = rng.choice([300, 500, 500, 800, 1000, 1500])
        supporters.append(
            RecurringDonation.objects.create(
                email=f"supporter-{number}@{DEMO_EMAIL_DOMAIN}",
                amount=amount,
                status=RecurringDonation.Status.ACTIVE,
                provider=DEMO_PROVIDER,
                subscription_id=f"demo_sub_{number}",
                customer_id=f"demo_cus_{number}",
                started_at=_morning(started),
            )
        )
    donations = []
    for supporter in supporters:
        for month in months:
            if month < supporter.started_at.date().replace(day=1):
                continue
            paid_at = _morning(month + timedelta(days=2))
            if paid_at > timezone.now():
                continue
            donations.append(_paid(supporter.email, supporter.amount, paid_at, supporter))
    for number in range(1, 31):
        month = months[rng.randrange(MONTHS)]
        paid_at = _morning(month + timedelta(days=rng.randrange(0, 27)))
        if paid_at > timezone.now():
            paid_at = timezone.now() - timedelta(hours=number)
        donations.append(
            _paid(
                f"reader-{number}@{DEMO_EMAIL_DOMAIN}",
                rng.choice([500, 1000, 2000, 2500, 5000]),
                paid_at,
            )
        )
    Donation.objects.bulk_create(donations)
    for supporter in supporters:
        last = max((d.paid_at for d in donations if d.recurring_id == supporter.pk), default=None)
        RecurringDonation.objects.filter(pk=supporter.pk).update(last_payment_at=last)
        # The demo provider's side of the monthly gift, so that a demo supporter who signs in
        # (or follows a manage link) can change, cancel or renew it like a real one.
        DemoSubscription.objects.update_or_create(
            id=supporter.subscription_id,
            defaults={
                "customer_id": supporter.customer_id,
                "customer_email": supporter.email,
                "purpose": DONATION_PURPOSE,
                "reference": str(supporter.reference),
                "metadata": {"kind": "monthly"},
                "amount": supporter.amount,
                "currency": supporter.currency,
                "invoices_raised": len([d for d in donations if d.recurring_id == supporter.pk]),
                "current_period_end": _add_month(last or supporter.started_at),
            },
        )
    return (
        f"Built {MONTHS} months of costs and goals, {len(supporters)} monthly supporters "
        f"and {len(donations)} demo gifts."
    )


def _add_month(moment):
    """The same day a month later (the month's last day where it is shorter)."""
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


def _morning(day):
    return timezone.make_aware(datetime.combine(day, time(9, 0)))


def _paid(email, amount, paid_at, recurring=None):
    return Donation(
        kind=Donation.Kind.MONTHLY if recurring else Donation.Kind.ONE_OFF,
        recurring=recurring,
        is_renewal=recurring is not None and paid_at.date() > recurring.started_at.date(),
        amount=amount,
        email=email,
        status=Donation.Status.PAID,
        provider=DEMO_PROVIDER,
        paid_at=paid_at,
        receipt_sent_at=paid_at,
    )


@transaction.atomic
def remove_demo():
    """Delete the demo's gifts, supporters, and the costs and goals it recorded."""
    Donation.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}").delete()
    DemoSubscription.objects.filter(customer_email__endswith=f"@{DEMO_EMAIL_DOMAIN}").delete()
    RecurringDonation.objects.filter(email__endswith=f"@{DEMO_EMAIL_DOMAIN}").delete()
    demo_months = list(
        MonthlyCost.objects.filter(note=DEMO_NOTE).values_list("month", flat=True).distinct()
    )
    MonthlyCost.objects.filter(note=DEMO_NOTE).delete()
    FundingGoal.objects.filter(month__in=demo_months, amount=DEMO_GOAL).delete()
