"""A reader is one verified email address; their signed-in browsers, their sign-in requests
and the register of their data-rights requests.

Everything else held about a reader stays in the app that owns it (subscribers in
``newsletter``, gifts in ``donations``, orders in ``shop``), linked to the Reader by a
foreign key once the address is verified, and reaches the account page, the export and the
erasure through ``masthead.readers.registry``.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _


class Reader(models.Model):
    """One person, known by one verified email address (one per mailbox: see
    ``identity.mailbox``)."""

    email = models.EmailField(_("email"), help_text=_("The address as the reader verified it."))
    mailbox = models.CharField(max_length=254, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("first verified"), auto_now_add=True)
    last_signed_in_at = models.DateTimeField(_("last signed in"), null=True, blank=True)

    class Meta:
        verbose_name = _("reader")
        verbose_name_plural = _("readers")
        ordering = ["-created_at"]

    def __str__(self):
        return self.email


class ReaderSession(models.Model):
    """One browser signed in as a reader. The cookie holds a random key; only its SHA-256
    is stored, so a copy of the database signs no one in."""

    reader = models.ForeignKey(Reader, on_delete=models.CASCADE, related_name="sessions")
    key_hash = models.CharField(max_length=64, unique=True)
    browser = models.CharField(
        _("browser"),
        max_length=200,
        blank=True,
        help_text=_("A short description, shown to the reader."),
    )
    created_at = models.DateTimeField(_("signed in"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))

    class Meta:
        verbose_name = _("signed-in browser")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.browser or '?'} ({self.created_at:%Y-%m-%d})"


class SignInRequest(models.Model):
    """A reader asked to sign in: one emailed link and one 6-digit code, either of which
    signs in the browser that asked, once, within READERS_SIGN_IN_MINUTES."""

    email = models.EmailField()
    mailbox = models.CharField(max_length=254, db_index=True)
    link_hash = models.CharField(max_length=64, unique=True)
    code_hash = models.CharField(max_length=64)
    browser_hash = models.CharField(max_length=64, db_index=True)
    next_path = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"sign-in {self.created_at:%Y-%m-%d %H:%M}"


class DataRequest(models.Model):
    """The register of data-rights requests (UK GDPR articles 15, 17 and 20): what was asked,
    by whom, when it is due (a month) and when it was answered. Erasing a reader keeps their
    requests here, with the address replaced by its keyed hash."""

    class Kind(models.TextChoices):
        EXPORT = "export", _("Copy of their data")
        ERASURE = "erasure", _("Erasure")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        WAITING = "waiting", _("Waiting (payment provider)")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class DetailKind(models.TextChoices):
        NONE = "", _("Nothing to tell")
        # {"error": the exception's class name} (its message may hold the address)
        FAILED = "failed", _("Failed")
        # an app's reason to wait: ``wait_reason`` of its ``ErasureMustWait``
        MUST_WAIT = "must_wait", _("Must wait")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED
    )
    reader = models.ForeignKey(
        Reader, null=True, blank=True, on_delete=models.SET_NULL, related_name="data_requests"
    )
    email = models.EmailField(_("email"), blank=True)
    address_hash = models.CharField(max_length=64, db_index=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The editor who made the request on the reader's behalf, if any."),
    )
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    due_at = models.DateTimeField(_("due"))
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    # Why a request failed or waits, as a kind and its parameters: the sentence is made when
    # it is shown (``detail``), in the language of whoever reads it.
    detail_kind = models.CharField(max_length=10, choices=DetailKind.choices, blank=True)
    detail_parameters = models.JSONField(default=dict, blank=True)
    # An export's file (under the private data directory) and its download link.
    file_name = models.CharField(max_length=200, blank=True)
    download_hash = models.CharField(max_length=64, blank=True, db_index=True)
    download_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("data request")
        ordering = ["-received_at"]
        permissions = [
            ("manage_data_requests", _("Can find readers' data and export or erase it")),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.received_at:%Y-%m-%d}"

    @property
    def detail(self):
        """Why the request failed or waits, as a sentence in the current language ("" when
        there is nothing to tell)."""
        if self.detail_kind == self.DetailKind.FAILED:
            return gettext("Failed (%(error)s); see the server log. It can be run again.") % {
                "error": self.detail_parameters.get("error", "")
            }
        if self.detail_kind == self.DetailKind.MUST_WAIT:
            return wait_reason_text(self.detail_parameters)
        return ""


def wait_reason(reason, values=None, *, plural="", count=None):
    """An app's reason an erasure must wait, to store (JSON) and translate when it is shown:
    ``reason`` (and ``plural``, chosen by ``count`` as ``ngettext`` does) are the sentence as
    written in the code, marked for translation with ``gettext_noop`` but not translated,
    and ``values`` fill its ``%(name)s`` placeholders."""
    return {"reason": str(reason), "plural": str(plural), "count": count, "values": values or {}}


def wait_reason_text(stored):
    """The sentence of a ``wait_reason``, in the current language."""
    reason, plural, values = stored.get("reason", ""), stored.get("plural"), stored.get("values")
    text = ngettext(reason, plural, stored.get("count") or 0) if plural else gettext(reason)
    return text % values if values else text
