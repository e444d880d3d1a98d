"""What the social web knows of the outlet and of the fediverse.

Local actors (the outlet and the authors who opted in) keep their own RSA keys. Remote actors
are cached copies of actor documents fetched from other servers (their public key above all).
Followers, reactions (likes and boosts), replies and blocks hang off remote actors, so a
``Delete`` of an actor removes everything it left here with one cascade.

Outgoing activities are stored once, with one ``Delivery`` row per destination inbox (a shared
inbox serves every follower on that server), so a crash or a failing server never loses a
destination and retries are counted per inbox. ``Instance`` tracks how long a server has been
failing, so dead ones are skipped.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from masthead.publishing.models import ArticlePage, AuthorPage


class LocalActor(models.Model):
    """An actor this site speaks as: the outlet (``@news@host``) or an author who opted in.

    The private key never leaves the database; it signs every request the actor sends.
    """

    class Kind(models.TextChoices):
        OUTLET = "outlet", _("Outlet")
        AUTHOR = "author", _("Author")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    username = models.SlugField(max_length=80, unique=True)
    author_page = models.OneToOneField(
        AuthorPage,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("For an author actor: the author page it speaks for."),
    )
    federated = models.BooleanField(
        default=True,
        help_text=_("Followable on the social web (an author's own choice)."),
    )
    private_key_pem = models.TextField(editable=False)
    public_key_pem = models.TextField(editable=False)
    key_created_at = models.DateTimeField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(kind="outlet"),
                name="social_one_outlet_actor",
            )
        ]

    def __str__(self):
        return f"@{self.username}"


class RemoteActor(models.Model):
    """An actor on another server, as its actor document said when last fetched."""

    uri = models.URLField(max_length=500, unique=True)
    domain = models.CharField(max_length=255, db_index=True)
    preferred_username = models.CharField(max_length=255, blank=True)
    name = models.CharField(max_length=255, blank=True)
    inbox = models.URLField(max_length=500)
    shared_inbox = models.URLField(max_length=500, blank=True)
    key_id = models.CharField(max_length=500, unique=True)
    public_key_pem = models.TextField()
    fetched_at = models.DateTimeField()

    def __str__(self):
        return f"@{self.preferred_username}@{self.domain}" if self.preferred_username else self.uri

    @property
    def delivery_inbox(self):
        return self.shared_inbox or self.inbox


class Follower(models.Model):
    """A remote actor following one of the local actors; pending until approved when the
    outlet approves followers by hand (SOCIAL_FOLLOW_APPROVAL=manual)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        ACCEPTED = "accepted", _("Accepted")

    local_actor = models.ForeignKey(LocalActor, on_delete=models.CASCADE, related_name="followers")
    remote_actor = models.ForeignKey(
        RemoteActor, on_delete=models.CASCADE, related_name="following"
    )
    # Denormalised from the remote actor so the fan-out reads one table for 100,000 rows.
    delivery_inbox = models.URLField(max_length=500, db_index=True)
    follow_activity_id = models.URLField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["local_actor", "remote_actor"], name="social_follower_once"
            )
        ]
        indexes = [models.Index(fields=["local_actor", "status"])]

    def __str__(self):
        return f"{self.remote_actor} → {self.local_actor}"


class BlockedDomain(models.Model):
    """A whole server an editor blocked: its requests are refused, its followers removed."""

    domain = models.CharField(max_length=255, unique=True)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.domain


class BlockedActor(models.Model):
    """One remote actor an editor blocked, by its URI (it may not be known here yet)."""

    uri = models.URLField(max_length=500, unique=True)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.uri


class Reaction(models.Model):
    """A like or a boost of an article by a remote actor; counted per article."""

    class Kind(models.TextChoices):
        LIKE = "like", _("Like")
        ANNOUNCE = "announce", _("Boost")

    article = models.ForeignKey(ArticlePage, on_delete=models.CASCADE, related_name="+")
    remote_actor = models.ForeignKey(
        RemoteActor, on_delete=models.CASCADE, related_name="reactions"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    activity_id = models.URLField(max_length=500, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.get_kind_display()} of {self.article_id} by {self.remote_actor}"


class Reply(models.Model):
    """A fediverse reply to an article, waiting in the conversation queue.

    Deliberately simple: the comments part (issue 15, part 3) moderates and shows these; this
    part only stores what arrived, as sent, sanitised when it is shown.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting for moderation")
        APPROVED = "approved", _("Approved")
        HIDDEN = "hidden", _("Hidden")

    article = models.ForeignKey(ArticlePage, on_delete=models.CASCADE, related_name="+")
    remote_actor = models.ForeignKey(RemoteActor, on_delete=models.CASCADE, related_name="replies")
    object_id = models.URLField(max_length=500, unique=True)
    url = models.URLField(max_length=500, blank=True)
    content = models.TextField()
    published_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "replies"

    def __str__(self):
        return f"Reply by {self.remote_actor} to {self.article_id}"


class FederatedArticle(models.Model):
    """What the fediverse was last told about an article, so a re-publish sends an ``Update``
    only when the object changed, and an unpublish sends a ``Delete`` only once."""

    article = models.OneToOneField(ArticlePage, on_delete=models.CASCADE, related_name="+")
    content_hash = models.CharField(max_length=64)
    deleted = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Federated article {self.article_id}"


class Activity(models.Model):
    """An activity a local actor sent (Create, Update, Delete, Accept...), exactly as sent."""

    activity_id = models.URLField(max_length=500, unique=True)
    actor = models.ForeignKey(LocalActor, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=20)
    article = models.ForeignKey(
        ArticlePage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name_plural = "activities"

    def __str__(self):
        return f"{self.kind} {self.activity_id}"


class Instance(models.Model):
    """A remote server as a destination: how long it has been failing, and whether it is
    taken for dead (skipped until it answers again, e.g. by sending us something)."""

    domain = models.CharField(max_length=255, unique=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    dead = models.BooleanField(default=False)
    last_success_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.domain


class Delivery(models.Model):
    """One activity to one inbox: sent once, retried with backoff while the server fails."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Gave up")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="deliveries")
    inbox = models.URLField(max_length=500)
    domain = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["activity", "inbox"], name="social_delivery_once")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.activity_id} → {self.inbox}"


class SeenSignature(models.Model):
    """The hash of each accepted incoming signature, kept while its date is inside the
    window: the same signed request sent twice is refused (replay protection)."""

    digest = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return self.digest
