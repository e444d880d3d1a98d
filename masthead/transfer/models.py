"""What the importers remember: each run with its progress and report, where every imported
item came from (so a re-run updates instead of duplicating), and the comments an old site
had, kept as read-only archive data on the article they belong to."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting


class ImportRun(models.Model):
    """One import, from the command line or the admin: its source, its progress and, once
    finished, its report."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=20)
    filename = models.CharField(_("file"), max_length=255)
    path = models.CharField(
        max_length=500, blank=True, help_text=_("Where the uploaded file is kept until it runs.")
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    options = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.kind}: {self.filename}"


class SourceRecord(models.Model):
    """One item of another platform and what it became here: the key of idempotency.

    ``source`` is the platform ("wordpress", "ghost", "substack", "masthead"), ``site`` the
    site it came from (a WXR's base site URL, a Ghost or Substack address; "" when the file
    does not say), ``kind`` the item's kind there ("post", "page", "author", "category",
    "tag", "attachment", "comment", "member", ...) and ``source_id`` its id there.
    """

    source = models.CharField(max_length=20)
    site = models.CharField(max_length=255, blank=True)
    kind = models.CharField(max_length=30)
    source_id = models.CharField(max_length=255)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.CharField(max_length=64)
    target = GenericForeignKey("content_type", "object_id")
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "site", "kind", "source_id"], name="transfer_one_record_per_item"
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        return f"{self.source} {self.kind} {self.source_id}"


class ArchivedComment(models.Model):
    """A comment from the old site, kept read-only with the article it was left on.

    Only the commenter's public name and web address are kept: not their email or IP
    address, which the old site held for moderation that no longer happens here.
    """

    article = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="archived_comments"
    )
    source = models.CharField(max_length=20)
    source_id = models.CharField(max_length=255)
    parent_source_id = models.CharField(max_length=255, blank=True)
    author_name = models.CharField(max_length=255, blank=True)
    author_url = models.URLField(max_length=500, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    body = models.TextField(help_text=_("Sanitised HTML."))
    approved = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("archived comment")
        ordering = ["posted_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "article", "source_id"], name="transfer_one_archived_comment"
            )
        ]

    def __str__(self):
        return f"{self.author_name or '?'} on {self.article_id}"


@register_setting(icon="comment")
class TransferSettings(BaseSiteSetting):
    """What readers see of what came from the old site."""

    show_archived_comments = models.BooleanField(
        _("show archived comments"),
        default=False,
        help_text=_(
            "Show the comments imported from the old site, read-only, at the end of the "
            "articles they were left on."
        ),
    )

    class Meta:
        verbose_name = _("imported content")
