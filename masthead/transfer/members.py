"""Subscribers from another platform's list: Ghost's members CSV and Substack's email list.

Both are read into ``newsletter.imported_lists.ImportedMember`` rows and imported one row
per item (``run_import`` gives each its own savepoint) through
``imported_lists.import_member``, which applies the newsletter's rules for any import: an
invalid, suppressed or erased address is refused, someone who unsubscribed here keeps
their opt-out, someone already subscribed here by other means is left alone. People who
had unsubscribed on the old platform come in as unsubscribed, so that no later import
adds them back. Everyone new joins one ``ImportedList`` per run, which no campaign reaches
until an editor confirms its consent basis in the admin.

A re-run finds the subscribers an earlier run made through their source records (kind
"member", keyed by the Ghost member id, or by the address for Substack) and updates them.

Ghost's members CSV (Members → Export) has the columns id, email, name, note,
subscribed_to_emails, complimentary_plan, stripe_customer_id, created_at, deleted_at,
labels and tiers (``products`` in Ghost 4); a ``newsletters`` column, when a file has one,
names the member's newsletters. Substack's ``email_list.<publication>.csv`` has email,
active_subscription, expiry, plan, email_disabled, created_at and first_payment_at (some
exports add name and stripe_customer_id).

Which newsletter here: the ``newsletter_map`` option (``{"name on the old site or label":
"newsletter here, by slug or name"}``), else a newsletter here with the same slug or name,
else ``default_newsletter`` (by slug or name), else the first public newsletter: each
unknown name is noted. Paid plans, complimentary plans and Stripe customers are only
noted: no one is charged, and no payment is carried over.

The run's report, kept with the run for as long as the run is, names each member by the line
of the file they came from ("line 7: deleted on Ghost"), never by their address: a refused
address may be one erased at the reader's request, and nothing erases the report.
"""

import csv
import io
from datetime import UTC

from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from masthead.newsletter import imported_lists
from masthead.newsletter.imported_lists import ImportedMember, MemberOutcome
from masthead.newsletter.models import Newsletter, Subscriber
from masthead.transfer.importing import ImportFileError

MAX_ROWS = 500_000
MAX_FIELD = 100_000
TRUE_WORDS = frozenset({"true", "yes", "1", "t", "y"})
LIST_SEPARATORS = (",", ";", "|")


def read_csv(data, name, required=("email",)):
    """The rows of CSV ``data`` (bytes) as dicts with lower-cased column names; an
    ImportFileError naming ``name`` when it cannot be one."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(f"{name} is not UTF-8 text.") from None
    if "\x00" in text:
        raise ImportFileError(f"{name} is not a CSV file (it holds NUL characters).")
    previous = csv.field_size_limit()
    csv.field_size_limit(MAX_FIELD)
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        if not reader.fieldnames:
            raise ImportFileError(f"{name} is empty.")
        reader.fieldnames = [(column or "").strip().lower() for column in reader.fieldnames]
        missing = [column for column in required if column not in reader.fieldnames]
        if missing:
            raise ImportFileError(
                f"{name} has no {', '.join(missing)} column: its first line must name the columns."
            )
        rows = []
        for row in reader:
            if len(rows) >= MAX_ROWS:
                raise ImportFileError(f"{name} has more than {MAX_ROWS:,} rows; split it.")
            if None in row:
                raise ImportFileError(
                    f"{name}, line {reader.line_num}: more values than the first line has columns."
                )
            rows.append({key: (value or "").strip() for key, value in row.items()})
        return rows
    except csv.Error as error:
        raise ImportFileError(f"{name} is not a readable CSV file ({error}).") from None
    finally:
        csv.field_size_limit(previous)


def is_true(value):
    return (value or "").strip().lower() in TRUE_WORDS


def parse_date(value):
    """An ISO date-time (naive ones are UTC), or None."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = parse_datetime(value.replace(" UTC", "").replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def split_list(value):
    for separator in LIST_SEPARATORS[1:]:
        value = value.replace(separator, LIST_SEPARATORS[0])
    return [part.strip() for part in value.split(LIST_SEPARATORS[0]) if part.strip()]


class NewsletterChooser:
    """Which newsletter here a name on the old platform means (see the module docstring)."""

    def __init__(self, options, report):
        self.report = report
        self.newsletters = list(Newsletter.objects.all())
        self.lookup = {}
        for newsletter in self.newsletters:
            for key in (newsletter.slug, newsletter.name):
                self.lookup.setdefault(self.key(key), newsletter)
        mapping = options.get("newsletter_map") or {}
        if not isinstance(mapping, dict):
            raise ImportFileError("newsletter_map must map names to newsletters.")
        self.mapping = {}
        for old, here in mapping.items():
            newsletter = self.lookup.get(self.key(here))
            if newsletter is None:
                raise ImportFileError(
                    f"newsletter_map names {here!r}, which is not a newsletter here."
                )
            self.mapping[self.key(old)] = newsletter
        default = options.get("default_newsletter")
        if default:
            self.default = self.lookup.get(self.key(default))
            if self.default is None:
                raise ImportFileError(
                    f"default_newsletter {default!r} is not a newsletter here; the newsletters "
                    f"are: {', '.join(n.slug for n in self.newsletters) or 'none yet'}."
                )
        else:
            public = [newsletter for newsletter in self.newsletters if newsletter.is_public]
            self.default = (public or self.newsletters or [None])[0]
        self.noted = set()

    @staticmethod
    def key(name):
        return slugify(str(name or ""))

    def require_default(self):
        if self.default is None:
            raise ImportFileError(
                "There is no newsletter here to subscribe people to: add one first "
                "(Newsletter → Newsletters), or name one with default_newsletter."
            )

    def choose(self, names, labels=(), item=""):
        """The newsletters for a member's ``names``, or the default one when the file names
        none, and those their ``labels`` are mapped to."""
        chosen = {}
        if not names and self.default is not None:
            chosen[self.default.pk] = self.default
        for name in names:
            newsletter = self.mapping.get(self.key(name)) or self.lookup.get(self.key(name))
            if newsletter is None:
                if name not in self.noted:
                    self.noted.add(name)
                    self.report.approximate(
                        "member",
                        name,
                        f"no newsletter here is called {name!r}: its subscribers were put in "
                        f"{self.default} (map it with newsletter_map)",
                    )
                newsletter = self.default
            chosen[newsletter.pk] = newsletter
        for label in labels:
            newsletter = self.mapping.get(self.key(label))
            if newsletter is not None:
                chosen[newsletter.pk] = newsletter
        return list(chosen.values())


# --- Reading each platform's file ---------------------------------------------------------------


def member_label(line):
    """How the report names the member on ``line`` of the file: never by their address."""
    return f"line {line}"


def ghost_members(rows, chooser, report):
    """``(source_id, label, ImportedMember, notes)`` for each row of Ghost's members CSV."""
    for line, row in enumerate(rows, start=2):
        email = row.get("email", "")
        label = member_label(line)
        if row.get("deleted_at"):
            report.skip("member", label, "deleted on Ghost")
            continue
        notes = []
        tiers = split_list(row.get("tiers") or row.get("products") or "")
        if is_true(row.get("complimentary_plan")):
            notes.append("had a complimentary plan on Ghost")
        if row.get("stripe_customer_id"):
            notes.append("was a paying member on Ghost (a Stripe customer)")
        if tiers:
            notes.append(f"was on the tier(s) {', '.join(tiers)} on Ghost")
        if row.get("note"):
            notes.append("Ghost's note about them was not kept")
        labels = split_list(row.get("labels", ""))
        names = split_list(row.get("newsletters", ""))
        member = ImportedMember(
            email=email,
            name=row.get("name", ""),
            newsletters=chooser.choose(names, labels, label),
            subscribed="subscribed_to_emails" not in row or is_true(row["subscribed_to_emails"]),
            joined_at=parse_date(row.get("created_at")),
        )
        yield (row.get("id") or email.lower()), label, member, notes


PAID_PLANS_FREE = frozenset({"", "free", "none"})


def substack_subscribers(rows, chooser, report, list_name=""):
    """``(source_id, label, ImportedMember, notes)`` for each row of Substack's email list."""
    names = [list_name] if list_name else []
    for line, row in enumerate(rows, start=2):
        email = row.get("email", "")
        label = member_label(line)
        notes = []
        plan = (row.get("plan") or row.get("type") or "").strip().lower()
        if plan not in PAID_PLANS_FREE:
            detail = f"a {plan} plan"
            if row.get("expiry"):
                detail += f" until {row['expiry']}"
            notes.append(f"had {detail} on Substack")
        if row.get("first_payment_at") or row.get("stripe_customer_id"):
            notes.append("paid on Substack")
        active = "active_subscription" not in row or is_true(row["active_subscription"])
        disabled = is_true(row.get("email_disabled"))
        member = ImportedMember(
            email=email,
            name=row.get("name", ""),
            newsletters=chooser.choose(names, (), label),
            subscribed=active and not disabled,
            joined_at=parse_date(row.get("created_at")),
        )
        yield email.strip().lower(), label, member, notes


# --- Importing ---------------------------------------------------------------------------------


class MemberImport:
    """The members of one run: the list new subscribers join, and one work item per row."""

    def __init__(self, importer, source_name, filename):
        self.importer = importer
        self.source_name = source_name
        self.filename = filename
        self.list_pk = None
        self.paid = 0

    def imported_list(self):
        from_run = self.list_pk and imported_lists.ImportedList.objects.filter(pk=self.list_pk)
        found = from_run.first() if from_run else None
        if found is None:
            found = imported_lists.start_list(
                self.importer.source,
                self.filename,
                description=f"{self.source_name} import"
                + (f" from {self.importer.site}" if self.importer.site else ""),
            )
            self.list_pk = found.pk
        return found

    def work(self, source_id, label, member, notes):
        def run():
            report = self.importer.report
            existing = self.importer.find("member", source_id, Subscriber)
            site = f" ({self.importer.site})" if self.importer.site else ""
            joined = (
                f", where they joined on {member.joined_at:%Y-%m-%d}" if member.joined_at else ""
            )
            wording = (
                f"Imported from {self.source_name}{site}{joined}. Not mailed until an editor "
                "confirms the imported list's consent basis."
            )
            result = imported_lists.import_member(
                member,
                imported_list=self.imported_list,
                source=f"{self.source_name} import of {self.filename}",
                wording=wording,
                existing=existing,
            )
            if result.outcome == MemberOutcome.REFUSED:
                report.skip("member", label, result.reason)
                return
            if result.outcome == MemberOutcome.UNCHANGED and existing is None:
                report.skip("member", label, result.reason)
                return
            self.importer.remember("member", source_id, result.subscriber)
            report.count("member", str(result.outcome))
            if not member.subscribed and result.outcome == MemberOutcome.CREATED:
                report.approximate(
                    "member",
                    label,
                    f"had unsubscribed on {self.source_name}: imported as unsubscribed",
                )
            for note in notes:
                report.approximate("member", label, f"{note}; imported as a free subscriber")

        return run

    def finish(self):
        if self.list_pk is None:
            return
        imported_list = imported_lists.ImportedList.objects.filter(pk=self.list_pk).first()
        if imported_list is not None:
            imported_lists.count_list(imported_list)
            self.importer.report.approximate(
                "member",
                str(imported_list),
                f"{imported_list.count} new subscribers are on an imported list that no "
                "campaign reaches until an editor confirms its consent basis (Newsletter → "
                "Imported lists)",
            )
