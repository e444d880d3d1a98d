"""What the payments app records: every provider event once, every checkout it started,
which provider objects belong to which domain purpose, and the demo provider's own state."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProviderEvent(models.Model):
    """One webhook event as the provider sent it, stored in the same transaction as its
    effect. The unique (provider, provider_event_id) pair is what makes a duplicate or a
    replayed delivery change nothing. The payload loses the payer's details as it ages
    (``retention``): ``redaction`` says how far that has gone."""

    class Redaction(models.TextChoices):
        NONE = "none", _("As received")
        DEVICE = "device", _("IP addresses and user agents removed")
        PERSONAL = "personal", _("Personal details removed")

    provider = models.CharField(_("provider"), max_length=20)
    provider_event_id = models.CharField(_("provider event id"), max_length=255)
    event_type = models.CharField(_("type"), max_length=100)
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"),
        max_length=255,
        blank=True,
        help_text=_("What Masthead did with the event, e.g. which purposes it reached."),
    )
    redaction = models.CharField(
        _("redaction"), max_length=10, choices=Redaction.choices, default=Redaction.NONE
    )

    class Meta:
        verbose_name = _("payment provider event")
        verbose_name_plural = _("payment provider events")
        ordering = ["-received_at", "-pk"]
        # The retention job looks for events not yet redacted, oldest first.
        indexes = [
            models.Index(fields=["redaction", "received_at"], name="payments_event_redaction")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_event_id"], name="payments_unique_provider_event"
            )
        ]

    def __str__(self):
        return f"{self.provider} {self.event_type} {self.provider_event_id}"


class Checkout(models.Model):
    """A hosted checkout Masthead asked a provider for, and what its webhooks said about it.

    The success page reads ``status``; only webhook events change it."""

    class Status(models.TextChoices):
        CREATING = "creating", _("Being created")
        OPEN = "open", _("Waiting for payment")
        PROCESSING = "processing", _("Payment settling")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Payment failed")
        EXPIRED = "expired", _("Expired")
        ERROR = "error", _("Could not be started")

    class Mode(models.TextChoices):
        PAYMENT = "payment", _("One-off")
        SUBSCRIPTION = "subscription", _("Monthly")

    provider = models.CharField(_("provider"), max_length=20)
    provider_checkout_id = models.CharField(
        _("provider checkout id"), max_length=255, blank=True, db_index=True
    )
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, unique=True)
    purpose = models.CharField(_("purpose"), max_length=50)
    reference = models.CharField(_("reference"), max_length=255)
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices)
    amount = models.PositiveBigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    customer_email = models.EmailField(_("email"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.CREATING
    )
    url = models.URLField(_("checkout page"), max_length=2000, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    customer_id = models.CharField(_("customer id"), max_length=255, blank=True)
    subscription_id = models.CharField(_("subscription id"), max_length=255, blank=True)
    payment_id = models.CharField(_("payment id"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("checkout")
        verbose_name_plural = _("checkouts")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_checkout_id"],
                condition=~models.Q(provider_checkout_id=""),
                name="payments_unique_provider_checkout",
            )
        ]

    def __str__(self):
        return f"{self.purpose} {self.reference} ({self.get_status_display()})"

    @property
    def is_settled(self):
        """Whether the webhooks have decided this checkout one way or the other."""
        return self.status not in {self.Status.CREATING, self.Status.OPEN}


class PaymentRoute(models.Model):
    """Which purpose and reference a provider object (payment, subscription, customer,
    checkout) belongs to, learnt from events that carried the metadata, so a later event
    that does not (a refund, a dispute) still reaches the right domain."""

    provider = models.CharField(_("provider"), max_length=20)
    object_id = models.CharField(_("provider object id"), max_length=255)
    purpose = models.CharField(_("purpose"), max_length=50)
    reference = models.CharField(_("reference"), max_length=255)

    class Meta:
        verbose_name = _("payment route")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "object_id"], name="payments_unique_route_object"
            )
        ]

    def __str__(self):
        return f"{self.object_id} → {self.purpose} {self.reference}"


class DemoCheckout(models.Model):
    """A checkout page of the offline demo provider, standing in for Stripe's hosted one."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")
        EXPIRED = "expired", _("Abandoned")

    Mode = Checkout.Mode

    id = models.CharField(primary_key=True, max_length=64)
    mode = models.CharField(max_length=20, choices=Mode.choices)
    purpose = models.CharField(max_length=50)
    reference = models.CharField(max_length=255)
    metadata = models.JSONField(default=dict)
    description = models.CharField(max_length=500, blank=True)
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    customer_email = models.EmailField(blank=True)
    customer_id = models.CharField(max_length=64, blank=True)
    success_url = models.CharField(max_length=2000)
    cancel_url = models.CharField(max_length=2000)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    declined_attempts = models.PositiveIntegerField(default=0)
    payment_id = models.CharField(max_length=64, blank=True)
    subscription_id = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("demo checkout")

    def __str__(self):
        return self.id


class DemoSubscription(models.Model):
    """A monthly payment held by the demo provider; renewals are simulated on request."""

    class Status(models.TextChoices):
        """Stripe's names for the states of a subscription, which the demo's events carry."""

        ACTIVE = "active", _("Active")
        PAST_DUE = "past_due", _("Past due")
        CANCELED = "canceled", _("Cancelled")

    id = models.CharField(primary_key=True, max_length=64)
    customer_id = models.CharField(max_length=64, db_index=True)
    customer_email = models.EmailField(blank=True)
    purpose = models.CharField(max_length=50)
    reference = models.CharField(max_length=255)
    metadata = models.JSONField(default=dict)
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    invoices_raised = models.PositiveIntegerField(default=0)
    current_period_end = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("demo subscription")

    def __str__(self):
        return self.id


class DemoPayment(models.Model):
    """A payment the demo provider took, so it can be refunded or disputed."""

    id = models.CharField(primary_key=True, max_length=64)
    charge_id = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=50)
    reference = models.CharField(max_length=255)
    metadata = models.JSONField(default=dict)
    amount = models.PositiveBigIntegerField()
    amount_refunded = models.PositiveBigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    customer_id = models.CharField(max_length=64, blank=True)
    subscription_id = models.CharField(max_length=64, blank=True)
    invoice_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("demo payment")

    def __str__(self):
        return self.id


class DemoRefund(models.Model):
    """A refund the demo provider made, under the idempotency key it was asked with, so a
    request retried with the same key (after a crash, say) gets the same refund back instead
    of a second one, as Stripe answers."""

    id = models.CharField(primary_key=True, max_length=64)
    payment = models.ForeignKey(DemoPayment, on_delete=models.CASCADE, related_name="refunds")
    amount = models.PositiveBigIntegerField()
    idempotency_key = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("demo refund")
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="payments_unique_demo_refund_key",
            )
        ]

    def __str__(self):
        return self.id
