"""The newsletter's data: lists, subscribers and their consent, campaigns and deliveries."""

import secrets

from django.conf import settings
from django.contrib import admin
from django.db import models
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField

from masthead.core.blocks import PARAGRAPH_FEATURES


def new_secret():
    return secrets.token_urlsafe(24)


def normalise_email(address):
    """The form every address is stored and compared in: trimmed, lower-cased."""
    return (address or "").strip().lower()


@register_setting(icon="mail")
class NewsletterSettings(BaseSiteSetting):
    """How the outlet asks readers to sign up, and the wording it records as their consent."""

    signup_heading = models.CharField(max_length=120, default="Sign up to our newsletter")
    consent_wording = models.TextField(
        default=(
            "Send me the newsletters I have chosen. I can unsubscribe at any time, "
            "and my address will never be shared."
        ),
        help_text=_("Shown next to the sign-up button and stored with every consent."),
    )
    consent_version = models.CharField(
        max_length=20,
        default="1",
        help_text=_("Change this whenever you change the wording, so records say which one."),
    )
    article_signup_after_paragraph = models.PositiveSmallIntegerField(
        default=4,
        help_text=_("Show the sign-up box in articles after this many paragraphs (0: never)."),
    )
    from_email = models.EmailField(
        blank=True, help_text=_("Sender of newsletters; defaults to the site's sender.")
    )
    from_name = models.CharField(max_length=120, blank=True)
    postal_address = models.CharField(
        max_length=300,
        blank=True,
        help_text=_("Shown at the foot of every newsletter, as mailing laws expect."),
    )

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("signup_heading"),
                FieldPanel("consent_wording"),
                FieldPanel("consent_version"),
                FieldPanel("article_signup_after_paragraph"),
            ],
            heading=_("Sign-up"),
        ),
        MultiFieldPanel(
            [FieldPanel("from_name"), FieldPanel("from_email"), FieldPanel("postal_address")],
            heading=_("Sending"),
        ),
    ]

    class Meta:
        verbose_name = _("newsletter settings")


class Newsletter(models.Model):
    """One list a reader can join, e.g. Daily briefing, Weekly digest, Campaign news."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(unique=True)
    description = models.CharField(max_length=300, blank=True)
    is_public = models.BooleanField(
        default=True, help_text=_("Offered on sign-up forms and the preferences page.")
    )
    sort_order = models.PositiveSmallIntegerField(default=0)
    count_clicks = models.BooleanField(
        _("Count clicks"),
        default=False,
        help_text=_(
            "Links to this site in its campaigns go through a short redirect on this site "
            "that counts clicks per link (never per reader). Links to other sites are never "
            "changed. Counted only when every newsletter a campaign goes to has this on."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("description"),
        FieldPanel("is_public"),
        FieldPanel("sort_order"),
        FieldPanel("count_clicks"),
    ]

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


class ImportedList(models.Model):
    """One list of subscribers brought in from elsewhere (a CSV upload, a Ghost or Substack
    export), and whether an editor has confirmed on what basis these people agreed to be
    mailed.

    Until ``confirmed_at`` is set, its subscribers are never sent a campaign (see
    ``consent.mailable_subscribers``), unless a reader confirms their own subscription here
    (by email, or by joining a newsletter from their account or preferences page).
    """

    source = models.CharField(
        _("source"), max_length=30, help_text=_("Where the list came from: csv, ghost, substack.")
    )
    filename = models.CharField(_("file"), max_length=255, blank=True)
    description = models.CharField(max_length=300, blank=True)
    count = models.PositiveIntegerField(
        _("subscribers imported"), default=0, help_text=_("How many subscribers it brought in.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    consent_basis = models.TextField(
        _("consent basis"),
        blank=True,
        help_text=_(
            "How these people agreed to receive the newsletter, in the words an editor "
            "confirmed (e.g. they signed up on our Ghost site with double opt-in)."
        ),
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("imported list")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        name = self.filename or self.get_source_display()
        return f"{name} ({self.created_at:%d %b %Y})" if self.created_at else name

    def get_source_display(self):
        return {"csv": "CSV", "ghost": "Ghost", "substack": "Substack"}.get(
            self.source, self.source
        )

    @property
    def is_confirmed(self):
        return self.confirmed_at is not None


class Subscriber(models.Model):
    """A reader's address and whether they have confirmed it (double opt-in).

    Only confirmed subscribers with an active subscription are ever mailed.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed from everything")

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    secret = models.CharField(
        max_length=64,
        default=new_secret,
        help_text=_("Part of every link sent to this reader; changing it revokes old links."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=300, blank=True)
    imported = models.BooleanField(default=False)
    # The list an import brought this subscriber in with; while its consent basis is not
    # confirmed by an editor, no campaign reaches them. PROTECT: a list cannot be deleted
    # out from under its subscribers (that would make them mailable unconfirmed).
    imported_list = models.ForeignKey(
        ImportedList,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="subscribers",
    )
    # Set once the address is verified (confirmation, sign-in): the one reader it belongs to.
    reader = models.ForeignKey(
        "readers.Reader",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="subscribers",
    )

    class Meta:
        indexes = [models.Index(fields=["status"])]
        permissions = [
            ("export_subscribers", _("Can export subscribers")),
        ]

    def __str__(self):
        return self.email


class Subscription(models.Model):
    """A subscriber's membership of one newsletter."""

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="subscriptions"
    )
    newsletter = models.ForeignKey(
        Newsletter, on_delete=models.CASCADE, related_name="subscriptions"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "newsletter"], name="unique_subscription")
        ]
        indexes = [models.Index(fields=["newsletter", "is_active"])]

    def __str__(self):
        return f"{self.subscriber} → {self.newsletter}"


class ConsentRecord(models.Model):
    """Evidence of one opt-in or opt-out: when, where, the exact wording, and from whom."""

    class Action(models.TextChoices):
        OPT_IN = "opt_in", _("Signed up (unconfirmed)")
        CONFIRM = "confirm", _("Confirmed by email")
        OPT_OUT = "opt_out", _("Unsubscribed")
        CHANGE = "change", _("Changed preferences")
        IMPORT = "import", _("Imported")
        SUPPRESS = "suppress", _("Suppressed (bounce or complaint)")

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="consent_records"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    newsletters = models.CharField(
        max_length=500, blank=True, help_text=_("The newsletters concerned, by slug.")
    )
    wording = models.TextField(blank=True)
    wording_version = models.CharField(max_length=20, blank=True)
    source = models.CharField(max_length=500, blank=True, help_text=_("Page or form."))
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.get_action_display()} — {self.subscriber}"


class Suppression(models.Model):
    """An address that must never be mailed again: hard bounce, complaint, or by hand.

    A reader who had their data erased is remembered by the keyed hash of their mailbox
    alone (``address_hash``, see ``readers.identity.address_hash``; ``email`` is blank), so
    a later sign-up or import of the address is refused without the address being kept.
    """

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", _("Hard bounce")
        COMPLAINT = "complaint", _("Spam complaint")
        MANUAL = "manual", _("Added by an editor")
        ERASED = "erased", _("Erased at the reader's request")

    email = models.EmailField(blank=True)
    address_hash = models.CharField(max_length=64, blank=True, editable=False)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    panels = [FieldPanel("email"), FieldPanel("reason"), FieldPanel("detail")]

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["email"], condition=~Q(email=""), name="unique_suppressed_email"
            ),
            models.UniqueConstraint(
                fields=["address_hash"],
                condition=~Q(address_hash=""),
                name="unique_suppressed_address_hash",
            ),
            models.CheckConstraint(
                condition=~Q(email="") | ~Q(address_hash=""), name="suppression_names_an_address"
            ),
        ]

    def __str__(self):
        return self.address()

    @admin.display(description=_("Address"))
    def address(self):
        """The address, or what stands for it once only its keyed hash is kept."""
        return self.email or str(_("(an erased reader: only a keyed hash is kept)"))


class Campaign(models.Model):
    """One mailing to one or more newsletters: an article, a digest, or written from scratch."""

    class Kind(models.TextChoices):
        ARTICLE = "article", _("An article")
        DIGEST = "digest", _("A digest of articles")
        CUSTOM = "custom", _("Written from scratch")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        CANCELLED = "cancelled", _("Cancelled")
        SENT = "sent", _("Sent")

    subject = models.CharField(max_length=200)
    preheader = models.CharField(
        max_length=200, blank=True, help_text=_("The preview line shown after the subject.")
    )
    newsletters = models.ManyToManyField(Newsletter, related_name="campaigns")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CUSTOM)
    article = models.ForeignKey(
        "publishing.ArticlePage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    digest_articles = models.ManyToManyField("publishing.ArticlePage", blank=True, related_name="+")
    digest_recent_count = models.PositiveSmallIntegerField(
        default=0, help_text=_("For a digest: add this many of the latest articles.")
    )
    intro = RichTextField(features=PARAGRAPH_FEATURES, blank=True)
    body = RichTextField(features=PARAGRAPH_FEATURES, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Batch tasks carry the generation they were started for; resuming or restarting a
    # stalled campaign bumps it, so stale task chains stop instead of piling up.
    send_generation = models.PositiveIntegerField(default=0, editable=False)
    last_batch_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("send_campaign", _("Can send campaigns")),
        ]

    def __str__(self):
        return self.subject

    def figures(self):
        """Recipients, sent, failed, bounced, complained and unsubscribed, for the admin."""
        counts = self.deliveries.aggregate(
            recipients=Count("pk"),
            sent=Count("pk", filter=Q(status=Delivery.Status.SENT)),
            failed=Count("pk", filter=Q(status=Delivery.Status.FAILED)),
            bounced=Count("pk", filter=Q(status=Delivery.Status.BOUNCED)),
            complained=Count("pk", filter=Q(complained=True)),
            unsubscribed=Count("pk", filter=Q(unsubscribed=True)),
            pending=Count(
                "pk", filter=Q(status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING])
            ),
        )
        return counts


class Delivery(models.Model):
    """One campaign to one subscriber: the unit the sending engine claims, sends and records.

    pending → sending (claimed by a worker, with a lease) → sent / failed / bounced. A claim
    whose lease ran out (its worker died) goes back to pending, so nobody is lost and at most
    the messages in flight at a crash are sent twice.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        BOUNCED = "bounced", _("Bounced")
        SKIPPED = "skipped", _("Skipped (unsubscribed or suppressed)")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    # Emptied when the reader's data is erased: the row stays, so the campaign's figures
    # stay true without saying to whom it was sent.
    subscriber = models.ForeignKey(
        Subscriber, null=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    last_error = models.CharField(max_length=500, blank=True)
    complained = models.BooleanField(default=False)
    unsubscribed = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "subscriber"], name="unique_delivery")
        ]
        indexes = [models.Index(fields=["campaign", "status"])]
        verbose_name_plural = "deliveries"

    def __str__(self):
        return f"{self.campaign} → {self.subscriber or _('(erased)')} ({self.status})"


class CampaignLinkClick(models.Model):
    """How many times one link to this site in one campaign was followed, counted by the
    first-party click redirect when the campaign's newsletters count clicks. Names no one:
    a click is counted per link, never per reader or delivery."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="link_clicks")
    url = models.URLField(max_length=2000)
    clicks = models.PositiveIntegerField(default=0)
    last_clicked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "url"], name="unique_campaign_link")
        ]

    def __str__(self):
        return f"{self.url} ({self.clicks})"
