"""What the social web knows of the outlet and of the fediverse.

Local actors (the outlet and the authors who opted in) keep their own RSA keys. Remote actors
are cached copies of actor documents fetched from other servers (their public key above all).
Followers, reactions (likes and boosts), replies and blocks hang off remote actors, so a
``Delete`` of an actor removes everything it left here with one cascade.

Readers' comments and fediverse replies are both ``Comment`` rows, moderated in one queue:
``Commenter`` is how far the editors trust their author, ``Conversation`` whether an article
takes comments (off unless an editor opens it), ``LegallySensitive`` the sections and tags
whose articles take none whatever their own setting, and ``WordRule`` the word list.

Outgoing activities are stored once, with one ``Delivery`` row per destination inbox (a shared
inbox serves every follower on that server), so a crash or a failing server never loses a
destination and retries are counted per inbox. ``Instance`` tracks how long a server has been
failing, so dead ones are skipped.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from taggit.models import Tag

from masthead.publishing.models import ArticlePage, AuthorPage, SectionPage
from masthead.readers.models import Reader


class ActorKind(models.TextChoices):
    """Whom a local actor speaks for (``LocalActor.Kind``; out here so the model's
    constraints can name it)."""

    OUTLET = "outlet", _("Outlet")
    AUTHOR = "author", _("Author")


class LocalActor(models.Model):
    """An actor this site speaks as: the outlet (``@news@host``) or an author who opted in.

    The private key never leaves the database; it signs every request the actor sends.
    """

    Kind = ActorKind

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
                condition=models.Q(kind=ActorKind.OUTLET),
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
    """A fediverse reply to an article, as it arrived (its HTML as sent).

    Each one is also a ``Comment`` (``reply.comment``), which the editors moderate and readers
    see, as plain text, with the readers' comments; a ``Delete`` of the note removes both.
    """

    article = models.ForeignKey(ArticlePage, on_delete=models.CASCADE, related_name="+")
    remote_actor = models.ForeignKey(RemoteActor, on_delete=models.CASCADE, related_name="replies")
    object_id = models.URLField(max_length=500, unique=True)
    url = models.URLField(max_length=500, blank=True)
    content = models.TextField()
    published_at = models.DateTimeField(null=True, blank=True)
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


class NetworkAccount(models.Model):
    """An account on a social network the outlet posts its articles to, set up by an editor.

    The secret (a Mastodon access token, a Bluesky app password, a Threads access token) is
    kept here to sign in with and is never shown back in full in the admin.
    """

    class Network(models.TextChoices):
        MASTODON = "mastodon", _("Mastodon")
        BLUESKY = "bluesky", _("Bluesky")
        THREADS = "threads", _("Threads")

    network = models.CharField(max_length=10, choices=Network.choices)
    name = models.CharField(max_length=100, help_text=_("How editors see it, e.g. Mastodon."))
    server_url = models.URLField(
        blank=True,
        help_text=_(
            "Mastodon: the instance, e.g. https://mastodon.social. Bluesky: the account's "
            "server (empty for https://bsky.social). Threads: empty for "
            "https://graph.threads.net."
        ),
    )
    identifier = models.CharField(
        max_length=255,
        blank=True,
        help_text=_(
            "Bluesky: the handle, e.g. news.bsky.social. Threads: the user id. "
            "Mastodon: not needed."
        ),
    )
    secret = models.CharField(max_length=500)
    enabled = models.BooleanField(
        default=True, help_text=_("New articles are posted here unless an editor says not.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.name} ({self.get_network_display()})"


class ArticlePostChoice(models.Model):
    """What an editor chose for one article: which accounts to post it to, and its text.

    With no row, an article goes to every enabled account with its title and standfirst.
    """

    article = models.OneToOneField(ArticlePage, on_delete=models.CASCADE, related_name="+")
    accounts = models.ManyToManyField(NetworkAccount, blank=True, related_name="+")
    text = models.TextField(
        blank=True,
        help_text=_("Empty for the headline and standfirst. The link is added to it."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Social posts of {self.article_id}"


class NetworkPost(models.Model):
    """One article posted to one account: made once, ever (a re-publish posts nothing),
    retried with backoff while the network fails, and its link kept once posted."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        POSTED = "posted", _("Posted")
        FAILED = "failed", _("Gave up")

    article = models.ForeignKey(ArticlePage, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(NetworkAccount, on_delete=models.CASCADE, related_name="posts")
    text = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Sent with every try, so a network that got a request whose answer was lost keeps one
    # post: Mastodon's Idempotency-Key, Bluesky's record key.
    idempotency_key = models.CharField(max_length=64)
    # What a try already made, kept for the next one: an uploaded picture, a Threads container.
    progress = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    remote_id = models.CharField(max_length=300, blank=True)
    url = models.URLField(max_length=500, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "account"], name="social_post_once")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.article_id} on {self.account}"


class Conversation(models.Model):
    """Whether an article takes comments: off unless an editor opens it (no row is off).

    Closing keeps every comment and shows the published ones under "Comments are closed";
    an article in a legally sensitive section or with such a tag is closed whatever this
    says (``masthead.social.comments.state_of``)."""

    class State(models.TextChoices):
        OFF = "off", _("Off: no comments section")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed: comments shown, no new ones")

    article = models.OneToOneField(
        ArticlePage, on_delete=models.CASCADE, related_name="+", verbose_name=_("article")
    )
    state = models.CharField(_("comments"), max_length=10, choices=State.choices, default=State.OFF)
    changed_at = models.DateTimeField(_("changed"), auto_now=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("article's comments")
        verbose_name_plural = _("articles' comments")

    def __str__(self):
        return f"Comments on {self.article_id}: {self.state}"


class LegallySensitive(models.Model):
    """A section or a tag an editor marked legally sensitive (in the UK, proceedings are
    active and a comment could be contempt of court): its articles take no comments, and
    cannot be opened, until the mark is removed. Existing comments are kept and shown."""

    section = models.OneToOneField(
        SectionPage,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("section"),
    )
    tag = models.OneToOneField(
        Tag,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("tag"),
    )
    reason = models.CharField(
        _("reason"),
        max_length=300,
        help_text=_("For the newsroom, e.g. “R v Smith: active until the verdict”."),
    )
    created_at = models.DateTimeField(_("marked"), auto_now_add=True)

    class Meta:
        verbose_name = _("legally sensitive section or tag")
        verbose_name_plural = _("legally sensitive sections and tags")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(section__isnull=False, tag__isnull=True)
                | models.Q(section__isnull=True, tag__isnull=False),
                name="social_sensitive_section_or_tag",
            )
        ]

    def __str__(self):
        return f"Section {self.section_id}" if self.section_id else f"Tag {self.tag_id}"


class Commenter(models.Model):
    """Someone who comments, a signed-in reader or a fediverse account, and how far the
    editors trust them: a new commenter's comments wait until an editor first approves one
    (then they go live unless the word list holds them); a banned one's are refused."""

    class Standing(models.TextChoices):
        NEW = "new", _("New: held until first approved")
        TRUSTED = "trusted", _("Trusted")
        BANNED = "banned", _("Banned")

    reader = models.OneToOneField(
        Reader, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actor_uri = models.URLField(
        _("fediverse account"), max_length=500, null=True, blank=True, unique=True
    )
    standing = models.CharField(
        _("standing"), max_length=10, choices=Standing.choices, default=Standing.NEW
    )
    ban_reason = models.CharField(_("why banned"), max_length=300, blank=True)
    banned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("first comment"), auto_now_add=True)

    class Meta:
        verbose_name = _("commenter")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reader__isnull=False, actor_uri__isnull=True)
                | models.Q(reader__isnull=True, actor_uri__isnull=False),
                name="social_commenter_reader_or_actor",
            )
        ]

    def __str__(self):
        # Names no address: this is what the audit log keeps.
        return f"Reader {self.reader_id}" if self.reader_id else self.actor_uri


class Comment(models.Model):
    """A comment on an article, by a signed-in reader or a fediverse reply (``reply``),
    threaded one level (``parent`` is always a top-level comment), as plain text.

    Pending comments wait in the moderation queue (``reason`` says why); published ones are
    shown in the article's comments fragment; hidden ones are kept for the editors; a removed
    one (its author erased) is an empty place kept so that the replies to it still read."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for moderation")
        APPROVED = "approved", _("Published")
        HIDDEN = "hidden", _("Hidden")
        REMOVED = "removed", _("Removed")

    class Reason(models.TextChoices):
        NONE = "", _("—")
        NEW_COMMENTER = "new", _("New commenter")
        WORD_LIST = "words", _("Word list")
        REPORTED = "reported", _("Reported by readers")
        BANNED = "banned", _("Commenter banned")
        CLOSED = "closed", _("Comments were not open")
        MODERATOR = "moderator", _("Hidden by an editor")

    article = models.ForeignKey(
        ArticlePage, on_delete=models.CASCADE, related_name="+", verbose_name=_("article")
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="replies",
        verbose_name=_("in reply to"),
    )
    commenter = models.ForeignKey(
        Commenter, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments"
    )
    reply = models.OneToOneField(
        Reply, null=True, blank=True, on_delete=models.CASCADE, related_name="comment"
    )
    author_name = models.CharField(_("name shown"), max_length=100, blank=True)
    body = models.TextField(_("comment"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    reason = models.CharField(
        _("why"), max_length=10, choices=Reason.choices, blank=True, default=Reason.NONE
    )
    created_at = models.DateTimeField(_("posted"), auto_now_add=True, db_index=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("comment")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["article", "status"])]
        permissions = [("moderate_comment", _("Can moderate readers' comments"))]

    def __str__(self):
        return f"Comment {self.pk} on {self.article_id}"

    @property
    def is_fediverse(self):
        return self.reply_id is not None


class CommentReport(models.Model):
    """A signed-in reader's report of a published comment; ``resolved`` once an editor has
    decided on the comment, so old reports never count again."""

    class Reason(models.TextChoices):
        ABUSE = "abuse", _("Abusive or hateful")
        SPAM = "spam", _("Spam or advertising")
        LEGAL = "legal", _("Could be unlawful (libel, contempt of court)")
        OTHER = "other", _("Something else")

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="reports")
    reader = models.ForeignKey(Reader, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=10, choices=Reason.choices, default=Reason.OTHER)
    resolved = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("comment report")
        constraints = [
            models.UniqueConstraint(fields=["comment", "reader"], name="social_report_once")
        ]

    def __str__(self):
        return f"Report of comment {self.comment_id}"


class WordRule(models.Model):
    """A word or phrase of the word list: comments using it are held for moderation, or
    refused outright (a fediverse reply is then hidden). Matched as whole words, ignoring
    case."""

    class Action(models.TextChoices):
        HOLD = "hold", _("Hold for moderation")
        REJECT = "reject", _("Refuse the comment")

    phrase = models.CharField(_("word or phrase"), max_length=100, unique=True)
    action = models.CharField(
        _("what happens"), max_length=10, choices=Action.choices, default=Action.HOLD
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("word list entry")
        verbose_name_plural = _("word list")
        ordering = ["phrase"]

    def __str__(self):
        return self.phrase
