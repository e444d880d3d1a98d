"""The readers app's own share of a reader's personal data, and the places outside every
app where an address can linger, erased last.

The share covers the Reader itself, their signed-in browsers, their sign-in requests and
the register of their data-rights requests (kept after erasure with the address replaced
by its keyed hash, to show the request was answered).

After every app has erased its own rows, ``erase_traces`` looks where no app owns the data:

- django_tasks_db's task results whose arguments or return value name the address
  (finished ones, and ones still waiting: a job queued for an erased reader must not run);
- Wagtail's audit log entries (``ModelLogEntry``, ``PageLogEntry``) whose label or data
  name the address: the entry stays, for the audit trail, with the text replaced;
- Django sessions (the database's and the cache's) whose data names the address;
- Wagtail's search index entries that hold it (the index is rebuilt from the erased rows).

Each is found with a text search the database runs itself (``Cast(..., TextField())`` with
``icontains``, the same on SQLite and PostgreSQL), so no table is read whole into Python.
"""

import logging
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import models
from django.db.models.functions import Cast
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult
from wagtail.models import ModelLogEntry, PageLogEntry
from wagtail.search.models import IndexEntry

from masthead.readers.identity import address_hash, normalise
from masthead.readers.models import DataRequest, Reader, ReaderSession, SignInRequest
from masthead.readers.registry import PersonalData

logger = logging.getLogger(__name__)

ERASED_TEXT = "erased reader"
# A name shorter than this is not searched for in logs and task results: "Al" or "Jo" would
# match far too much that is not about the reader.
SHORTEST_NAME_SEARCHED = 5
FINISHED_OR_WAITING_TASKS = ("SUCCESSFUL", "FAILED", "READY")

KEPT = format_lazy(
    _(
        "The register of your data-rights requests (what was asked, when, and when it was "
        "answered) is kept for {years} years, with your address replaced by a keyed hash, "
        "to show the requests were answered."
    ),
    years=settings.READERS_REQUEST_RETENTION_YEARS,
)


def _when(value):
    return value.isoformat() if value else None


def export(reader):
    """The Reader, their signed-in browsers, their sign-in requests and their data-rights
    requests. Hashes of keys and codes are left out: they are not about the reader."""
    box = reader.mailbox
    requests = DataRequest.objects.filter(address_hash=address_hash(reader.email))
    if reader.pk:
        requests = requests | DataRequest.objects.filter(reader=reader)
        sessions = ReaderSession.objects.filter(reader=reader)
    else:
        sessions = ReaderSession.objects.none()
    readers = (
        [
            {
                "email": reader.email,
                "name": reader.name,
                "first_verified": _when(reader.created_at),
                "last_signed_in": _when(reader.last_signed_in_at),
            }
        ]
        if reader.pk
        else []
    )
    return {
        "reader": readers,
        "signed_in_browsers": [
            {
                "browser": session.browser,
                "signed_in": _when(session.created_at),
                "last_seen": _when(session.last_seen_at),
                "expires": _when(session.expires_at),
            }
            for session in sessions
        ],
        "sign_in_requests": [
            {
                "email": sign_in.email,
                "asked": _when(sign_in.created_at),
                "expires": _when(sign_in.expires_at),
                "used": _when(sign_in.used_at),
            }
            for sign_in in SignInRequest.objects.filter(mailbox=box)
        ],
        "data_requests": [
            {
                "kind": data_request.kind,
                "status": data_request.status,
                "received": _when(data_request.received_at),
                "due": _when(data_request.due_at),
                "completed": _when(data_request.completed_at),
                "made_by_an_editor": data_request.requested_by_id is not None,
            }
            for data_request in requests.distinct().order_by("received_at")
        ],
    }


def erase(reader):
    """Delete the Reader (and with them their browsers), their sign-in requests, and the
    address in their data-rights requests; then every trace of the address elsewhere."""
    needles = search_terms(reader)
    hashed = address_hash(reader.email)
    if reader.pk:
        DataRequest.objects.filter(reader=reader).update(email="", address_hash=hashed)
        Reader.objects.filter(pk=reader.pk).delete()
    DataRequest.objects.filter(address_hash=hashed).update(email="")
    SignInRequest.objects.filter(mailbox=reader.mailbox).delete()
    erase_traces(needles)


share = PersonalData(
    name="readers",
    title=_("Your account"),
    models=(
        "readers.Reader",
        "readers.ReaderSession",
        "readers.SignInRequest",
        "readers.DataRequest",
    ),
    export=export,
    erase=erase,
    kept=KEPT,
    # Last: the other apps erase their rows while the Reader still links them.
    order=10_000,
)


# --- Traces outside every app -----------------------------------------------------------------


def search_terms(reader):
    """What identifies the reader in free text: the address as given and as its mailbox,
    and a name long enough not to match strangers."""
    terms = {normalise(reader.email), reader.mailbox}
    if len(reader.name.strip()) >= SHORTEST_NAME_SEARCHED:
        terms.add(reader.name.strip())
    return sorted(term for term in terms if term)


def mentions(field_names, needles):
    """A filter for rows any of whose ``field_names`` (cast to text, so JSON fields too)
    contains any of ``needles``, ignoring case. Use with ``annotate(**as_text(...))``."""
    condition = models.Q(pk__in=[])
    for name in field_names:
        for needle in needles:
            condition |= models.Q(**{f"_text_{name}__icontains": needle})
    return condition


def as_text(field_names):
    return {f"_text_{name}": Cast(name, models.TextField()) for name in field_names}


def matching(queryset, field_names, needles):
    return queryset.annotate(**as_text(field_names)).filter(mentions(field_names, needles))


def _scrub(value, needles):
    """``value`` (JSON) with every string that names the reader replaced."""
    if isinstance(value, dict):
        return {key: _scrub(item, needles) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, needles) for item in value]
    if isinstance(value, str) and any(needle.lower() in value.lower() for needle in needles):
        return ERASED_TEXT
    return value


def erase_task_results(needles):
    """Delete task results that name the reader, except those running now."""
    rows = matching(
        DBTaskResult.objects.filter(status__in=FINISHED_OR_WAITING_TASKS),
        ["args_kwargs", "return_value", "traceback"],
        needles,
    )
    deleted, _detail = DBTaskResult.objects.filter(pk__in=rows.values("pk")).delete()
    return deleted


def erase_log_entries(needles):
    """Keep each audit-log entry that names the reader, with that text replaced."""
    changed = 0
    for model in (ModelLogEntry, PageLogEntry):
        for entry in matching(model.objects.all(), ["label", "data"], needles):
            label = entry.label
            if any(needle.lower() in label.lower() for needle in needles):
                label = ERASED_TEXT
            model.objects.filter(pk=entry.pk).update(label=label, data=_scrub(entry.data, needles))
            changed += 1
    return changed


def erase_sessions(needles):
    """End every Django session whose data names the reader (a basket or a form kept in a
    session), in the database and in the cache in front of it. Session data is encoded, so
    each is decoded here; only sessions not yet expired can hold anything that matters, and
    expired ones are deleted too, by the hourly clean-up."""
    engine = import_module(settings.SESSION_ENGINE)
    lowered = [needle.lower() for needle in needles]
    ended = 0
    for session in Session.objects.iterator(chunk_size=500):
        store = engine.SessionStore(session_key=session.session_key)
        text = str(store.decode(session.session_data)).lower()
        if any(needle in text for needle in lowered):
            store.delete(session.session_key)
            ended += 1
    return ended


def erase_search_index(needles):
    """Remove search index entries that hold the reader's address or name."""
    text_fields = [
        field.name
        for field in IndexEntry._meta.concrete_fields
        if isinstance(field, models.TextField)
    ]
    rows = matching(IndexEntry.objects.all(), text_fields, needles)
    deleted, _detail = IndexEntry.objects.filter(pk__in=rows.values("pk")).delete()
    return deleted


def erase_traces(needles):
    """Every place outside the apps where the reader may be named."""
    if not needles:
        return
    counts = {
        "task results": erase_task_results(needles),
        "log entries": erase_log_entries(needles),
        "sessions": erase_sessions(needles),
        "search index entries": erase_search_index(needles),
    }
    logger.info("Erased reader's traces: %s", counts)


# --- Addresses that are not readers' data -------------------------------------------------------

NOT_READER_DATA = {
    settings.AUTH_USER_MODEL: _(
        "Editors' and staff accounts: people who work on the outlet, not readers."
    ),
    "core.SiteSettings": _("The outlet's own contact addresses."),
    "publishing.AuthorPage": _(
        "An author's public contact address, published by the outlet with their agreement."
    ),
}


def register_outlet_addresses(register):
    """Declare, through ``register`` (``registry.register_not_reader_data``), the models of
    ``readers`` and the floors below it in ``NOT_READER_DATA``: they hold addresses, but
    the outlet's own or its staff's. (The apps above declare their own from their wiring.)"""
    for label, reason in NOT_READER_DATA.items():
        register(label, reason)
