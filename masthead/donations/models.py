"""Readers' donations, monthly supporters, and the outlet's own costs for the
funding-transparency page.

Money is always an integer number of minor units (pence) with an ISO currency code.
"""

import uuid

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from masthead.core.sites import default_site
from masthead.payments.money import MAX_AMOUNT, InvalidAmount, format_money, parse_amount
from masthead.readers.models import Reader

CURRENCIES = [("GBP", "GBP"), ("EUR", "EUR"), ("USD", "USD")]
LARGEST_AMOUNT = MAX_AMOUNT


def parse_amount_list(text, currency="GBP"):
    """Suggested amounts as editors type them ("5, 10, 25.50") to a list of minor units.

    Raises ValidationError naming the entry that is not an amount.
    """
    amounts = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            amounts.append(parse_amount(part, currency, minimum=1))
        except InvalidAmount as error:
            raise ValidationError(f"{part}: {error}") from error
    return amounts


class Frequency(models.TextChoices):
    """How often a reader gives: once, or every month until they stop."""

    ONE_OFF = "one_off", _("One-off")
    MONTHLY = "monthly", _("Monthly")


@register_setting(icon="pick")
class DonationSettings(BaseSiteSetting):
    """How the outlet asks for support: the amounts it suggests, the limits on a gift, and
    what covering the card fees adds."""

    currency = models.CharField(max_length=3, choices=CURRENCIES, default="GBP")
    suggested_one_off = models.CharField(
        _("suggested one-off amounts"),
        max_length=200,
        default="5, 10, 25, 50",
        help_text=_("In pounds, separated by commas, for example: 5, 10, 25, 50."),
    )
    suggested_monthly = models.CharField(
        _("suggested monthly amounts"),
        max_length=200,
        default="3, 5, 10, 20",
        help_text=_("In pounds, separated by commas."),
    )
    default_frequency = models.CharField(
        max_length=10,
        choices=Frequency.choices,
        default=Frequency.MONTHLY,
    )
    minimum_amount = models.PositiveIntegerField(
        _("minimum gift (pence)"),
        default=200,
        validators=[MinValueValidator(50), MaxValueValidator(LARGEST_AMOUNT)],
        help_text=_("In pence: 200 is £2. Card providers refuse anything under 50p."),
    )
    maximum_amount = models.PositiveIntegerField(
        _("maximum gift (pence)"),
        default=500_000,
        validators=[MinValueValidator(100), MaxValueValidator(LARGEST_AMOUNT)],
        help_text=_("In pence: 500000 is £5,000. Larger gifts are best arranged in person."),
    )
    fee_percent_basis_points = models.PositiveIntegerField(
        _("card fee percentage (hundredths of a percent)"),
        default=150,
        validators=[MaxValueValidator(1000)],
        help_text=_("150 means 1.5%. Used for the optional 'cover the card fees' amount."),
    )
    fee_fixed_amount = models.PositiveIntegerField(
        _("card fee fixed part (pence)"), default=20, validators=[MaxValueValidator(1000)]
    )
    prompt_heading = models.CharField(max_length=120, default="Support independent journalism")
    prompt_text = models.TextField(
        default=(
            "We are funded by our readers, not by advertisers. Every gift pays for reporting "
            "that stays free for everyone to read."
        )
    )
    newsletter_opt_in_wording = models.CharField(
        max_length=300,
        default="Also send me the newsletter. I can unsubscribe at any time.",
        help_text=_("Shown next to the unticked newsletter box and stored with the consent."),
    )

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("currency"),
                FieldPanel("suggested_one_off"),
                FieldPanel("suggested_monthly"),
                FieldPanel("default_frequency"),
                FieldPanel("minimum_amount"),
                FieldPanel("maximum_amount"),
            ],
            heading=_("Amounts"),
        ),
        MultiFieldPanel(
            [FieldPanel("fee_percent_basis_points"), FieldPanel("fee_fixed_amount")],
            heading=_("Card fees"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("prompt_heading"),
                FieldPanel("prompt_text"),
                FieldPanel("newsletter_opt_in_wording"),
            ],
            heading=_("Wording"),
        ),
    ]

    class Meta:
        verbose_name = _("donation settings")

    def clean(self):
        errors = {}
        for field in ("suggested_one_off", "suggested_monthly"):
            try:
                amounts = parse_amount_list(getattr(self, field), self.currency)
            except ValidationError as error:
                errors[field] = error.messages
                continue
            if not amounts:
                errors[field] = [_("Suggest at least one amount.")]
            elif any(
                not self.minimum_amount <= amount <= self.maximum_amount for amount in amounts
            ):
                errors[field] = [
                    _("Every suggested amount must lie between the minimum and maximum.")
                ]
        if self.minimum_amount >= self.maximum_amount:
            errors["maximum_amount"] = [_("The maximum must be more than the minimum.")]
        if errors:
            raise ValidationError(errors)

    @classmethod
    def current(cls, request=None):
        """The settings of the request's site, or of the default site (outside a request)."""
        if request is not None:
            return cls.for_request(request)
        site = default_site()
        return cls.for_site(site) if site is not None else cls()

    def suggested_amounts(self, frequency):
        """The suggested amounts in pence for a Frequency (empty if misconfigured)."""
        text = self.suggested_monthly if frequency == Frequency.MONTHLY else self.suggested_one_off
        try:
            return parse_amount_list(text, self.currency)
        except ValidationError:
            return []

    @property
    def suggested_one_off_amounts(self):
        return self.suggested_amounts(Frequency.ONE_OFF)

    @property
    def suggested_monthly_amounts(self):
        return self.suggested_amounts(Frequency.MONTHLY)

    @property
    def fee_percent_display(self):
        """The card fee percentage as readers read it: "1.5%"."""
        whole, hundredths = divmod(self.fee_percent_basis_points, 100)
        return f"{whole}.{hundredths:02d}".rstrip("0").rstrip(".") + "%"

    def card_fee(self, amount):
        """What covering the card fees adds to a gift of ``amount`` pence, rounded up."""
        percentage_part = -(-amount * self.fee_percent_basis_points // 10_000)
        return percentage_part + self.fee_fixed_amount


class RecurringDonation(models.Model):
    """A supporter's monthly gift: one per subscription at the payment provider."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the first payment")
        ACTIVE = "active", _("Active")
        PAST_DUE = "past_due", _("Payment failed")
        CANCELLED = "cancelled", _("Cancelled")
        ABANDONED = "abandoned", _("Checkout abandoned")

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(db_index=True)
    reader = models.ForeignKey(
        Reader,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="monthly_gifts",
        help_text=_("The reader, once the address was verified by a payment or a sign-in."),
    )
    amount = models.PositiveIntegerField(help_text=_("Per month, in minor units."))
    currency = models.CharField(max_length=3, default="GBP")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    provider = models.CharField(max_length=30)
    subscription_id = models.CharField(max_length=255, blank=True, db_index=True)
    customer_id = models.CharField(max_length=255, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    last_payment_at = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When the provider's current monthly period ends: the next payment is due."),
    )
    provider_updated_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When the provider's latest applied subscription update happened."),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("recurring supporter")
        verbose_name_plural = _("recurring supporters")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "subscription_id"],
                condition=~Q(subscription_id=""),
                name="donations_unique_subscription",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="donations_recurring_positive"),
        ]

    def __str__(self):
        return f"{self.email} - {self.amount / 100:.2f} {self.currency}/month ({self.status})"

    @admin.display(description=_("Amount"), ordering="amount")
    def amount_display(self):
        return format_money(self.amount, self.currency)

    @property
    def is_live(self):
        """Whether money is still meant to come in (active, or retrying a failed payment)."""
        return self.status in {self.Status.ACTIVE, self.Status.PAST_DUE}


class Donation(models.Model):
    """One payment by a reader: a one-off gift, or one month of a recurring gift."""

    Kind = Frequency

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for payment")
        PROCESSING = "processing", _("Payment settling")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Checkout abandoned")
        REFUNDED = "refunded", _("Refunded")

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    recurring = models.ForeignKey(
        RecurringDonation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    is_renewal = models.BooleanField(default=False)
    amount = models.PositiveIntegerField(help_text=_("What the reader paid, in minor units."))
    fee_amount = models.PositiveIntegerField(
        default=0, help_text=_("The part of the amount added to cover card fees.")
    )
    currency = models.CharField(max_length=3, default="GBP")
    cover_fees = models.BooleanField(default=False)
    email = models.EmailField(db_index=True)
    reader = models.ForeignKey(
        Reader,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="donations",
        help_text=_("The reader, once the address was verified by a payment or a sign-in."),
    )
    public_name = models.CharField(max_length=80, blank=True)
    message = models.TextField(max_length=500, blank=True)
    anonymous = models.BooleanField(default=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    provider = models.CharField(max_length=30)
    checkout_id = models.CharField(max_length=255, blank=True, db_index=True)
    payment_id = models.CharField(max_length=255, blank=True)
    invoice_id = models.CharField(max_length=255, blank=True)
    customer_id = models.CharField(max_length=255, blank=True)
    refunded_amount = models.PositiveIntegerField(default=0)
    failure_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True, db_index=True)
    disputed_at = models.DateTimeField(null=True, blank=True)
    receipt_sent_at = models.DateTimeField(null=True, blank=True)
    receipt_lease_expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_(
            "While the receipt is being sent: when the sender's claim on it runs out. "
            "A claim left behind by a sender that died is taken up again after that."
        ),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["receipt_lease_expires_at"],
                condition=Q(receipt_lease_expires_at__isnull=False),
                name="donations_receipt_claims",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "payment_id"],
                condition=~Q(payment_id=""),
                name="donations_unique_payment",
            ),
            models.UniqueConstraint(
                fields=["provider", "invoice_id"],
                condition=~Q(invoice_id=""),
                name="donations_unique_invoice",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="donations_positive"),
        ]

    def __str__(self):
        return f"{self.email} - {self.amount / 100:.2f} {self.currency} ({self.status})"

    @admin.display(description=_("Amount"), ordering="amount")
    def amount_display(self):
        return format_money(self.amount, self.currency)

    @property
    def net_amount(self):
        """What the outlet keeps: the amount less any refunds."""
        return max(self.amount - self.refunded_amount, 0)

    @property
    def display_name(self):
        """How the gift is credited in public: the chosen name, or nothing when anonymous."""
        return "" if self.anonymous else self.public_name


class EarlyPaymentAdjustment(models.Model):
    """A refund or dispute that arrived before the payment it is about.

    Events can come in any order; when the payment later reaches its donation, what is
    recorded here is applied to it and this row removed.
    """

    provider = models.CharField(max_length=30)
    payment_id = models.CharField(max_length=255)
    refunded_amount = models.PositiveIntegerField(default=0)
    disputed_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "payment_id"], name="donations_one_early_adjustment"
            )
        ]

    def __str__(self):
        return f"{self.provider} {self.payment_id}"


class DonationEvent(models.Model):
    """One line of a gift's history as editors read it on the donation's or the monthly
    supporter's page: a payment event refused because it did not match what was charged
    (another provider, another amount or currency), a refused renewal accepted once the
    provider confirmed its amount, or a change of monthly amount. Stored as a kind and its
    particulars (amounts in minor units, the provider's event id, never an address), made
    into a sentence in the reader's language when it is shown (``message``)."""

    class Kind(models.TextChoices):
        WRONG_PROVIDER = "wrong_provider", _("Event from another payment provider")
        AMOUNT_MISMATCH = "amount_mismatch", _("Amount differs from what was charged")
        RENEWAL_ACCEPTED = "renewal_accepted", _("Refused renewal accepted")
        AMOUNT_CHANGED = "amount_changed", _("Monthly amount changed")

    class ChangedBy(models.TextChoices):
        """Who changed a monthly amount (an AMOUNT_CHANGED entry's ``by``)."""

        DONOR = "donor", _("The donor")
        PROVIDER = "provider", _("The payment provider")

    # The kinds that mean a provider's event was turned away.
    REFUSALS = (Kind.WRONG_PROVIDER, Kind.AMOUNT_MISMATCH)

    donation = models.ForeignKey(
        Donation, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    recurring = models.ForeignKey(
        RecurringDonation, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    parameters = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("donation history entry")
        verbose_name_plural = _("donation history")
        constraints = [
            models.CheckConstraint(
                condition=Q(donation__isnull=False) | Q(recurring__isnull=False),
                name="donations_event_about_a_gift",
            )
        ]

    def __str__(self):
        return self.message

    @property
    def message(self):
        """The entry as a sentence in the active language."""
        try:
            return EVENT_SENTENCES[self.kind](self.parameters)
        except (KeyError, TypeError, ValueError):
            # Parameters written by an older version: the kind alone still says something.
            return str(self.get_kind_display())


# What each provider event is called in a history sentence.
EVENT_NAMES = {
    "CheckoutCompleted": _("checkout completed"),
    "CheckoutExpired": _("checkout expired"),
    "PaymentSucceeded": _("payment"),
    "PaymentFailed": _("failed payment"),
    "SubscriptionUpdated": _("subscription update"),
    "SubscriptionCancelled": _("subscription cancelled"),
    "PaymentRefunded": _("refund"),
    "PaymentDisputed": _("dispute"),
}


def _event_name(p):
    """ "payment event evt_123": what the provider sent, and its id to look it up."""
    return gettext("%(name)s event %(id)s") % {
        "name": EVENT_NAMES.get(p["event_type"], p["event_type"]),
        "id": p["event_id"],
    }


def _wrong_provider(p):
    return gettext(
        "Refused a %(event)s from %(provider)s: this gift was started with %(expected)s. "
        "Nothing was changed."
    ) % {"event": _event_name(p), "provider": p["provider"], "expected": p["expected_provider"]}


def _amount_mismatch(p):
    expected = gettext(" or ").join(
        format_money(amount, p["expected_currency"]) for amount in p["expected_amounts"]
    )
    return gettext(
        "Refused a %(event)s for %(amount)s: %(expected)s was charged. Nothing was changed."
    ) % {
        "event": _event_name(p),
        "amount": format_money(p["amount"], p["currency"]),
        "expected": expected,
    }


def _renewal_accepted(p):
    return gettext(
        "The renewal of %(amount)s refused earlier (payment %(payment)s) was accepted once the "
        "provider confirmed the new monthly amount."
    ) % {"amount": format_money(p["amount"], p["currency"]), "payment": p["payment_id"]}


def _amount_changed(p):
    if p["by"] == DonationEvent.ChangedBy.DONOR:
        sentence = gettext("The donor changed the monthly amount from %(previous)s to %(amount)s.")
    else:
        sentence = gettext(
            "The payment provider changed the monthly amount from %(previous)s to %(amount)s."
        )
    return sentence % {
        "previous": format_money(p["previous"], p["currency"]),
        "amount": format_money(p["amount"], p["currency"]),
    }


EVENT_SENTENCES = {
    DonationEvent.Kind.WRONG_PROVIDER: _wrong_provider,
    DonationEvent.Kind.AMOUNT_MISMATCH: _amount_mismatch,
    DonationEvent.Kind.RENEWAL_ACCEPTED: _renewal_accepted,
    DonationEvent.Kind.AMOUNT_CHANGED: _amount_changed,
}


class CostCategory(models.Model):
    """A kind of cost the outlet pays every month (hosting, newswire services, ...)."""

    name = models.CharField(max_length=80, unique=True)
    description = models.CharField(max_length=300, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    panels = [FieldPanel("name"), FieldPanel("description"), FieldPanel("sort_order")]

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("cost category")
        verbose_name_plural = _("cost categories")

    def __str__(self):
        return self.name


def first_of_month(value):
    return value.replace(day=1)


class MonthlyCost(models.Model):
    """What the outlet spent on one category in one month, shown on the funding page."""

    month = models.DateField(help_text=_("Any day in the month; stored as the 1st."))
    category = models.ForeignKey(CostCategory, on_delete=models.PROTECT, related_name="costs")
    amount = models.PositiveIntegerField(
        help_text=_("In pence: 12000 is £120."), validators=[MaxValueValidator(LARGEST_AMOUNT)]
    )
    currency = models.CharField(max_length=3, choices=CURRENCIES, default="GBP")
    note = models.CharField(max_length=200, blank=True)

    panels = [
        FieldPanel("month"),
        FieldPanel("category"),
        FieldPanel("amount"),
        FieldPanel("currency"),
        FieldPanel("note"),
    ]

    class Meta:
        ordering = ["-month", "category__sort_order"]
        verbose_name = _("monthly cost")
        constraints = [
            models.UniqueConstraint(fields=["month", "category"], name="donations_one_cost_line")
        ]

    def __str__(self):
        return f"{self.month:%B %Y} - {self.category}"

    def save(self, *args, **kwargs):
        self.month = first_of_month(self.month)
        super().save(*args, **kwargs)

    def validate_unique(self, exclude=None):
        self.month = first_of_month(self.month) if self.month else self.month
        super().validate_unique(exclude)


class FundingGoal(models.Model):
    """How much the outlet aims to raise from readers in one month."""

    month = models.DateField(unique=True, help_text=_("Any day in the month; stored as the 1st."))
    amount = models.PositiveIntegerField(
        help_text=_("In pence."), validators=[MaxValueValidator(LARGEST_AMOUNT)]
    )
    currency = models.CharField(max_length=3, choices=CURRENCIES, default="GBP")

    panels = [FieldPanel("month"), FieldPanel("amount"), FieldPanel("currency")]

    class Meta:
        ordering = ["-month"]
        verbose_name = _("funding goal")

    def __str__(self):
        return f"{self.month:%B %Y}"

    def save(self, *args, **kwargs):
        self.month = first_of_month(self.month)
        super().save(*args, **kwargs)

    def validate_unique(self, exclude=None):
        self.month = first_of_month(self.month) if self.month else self.month
        super().validate_unique(exclude)
