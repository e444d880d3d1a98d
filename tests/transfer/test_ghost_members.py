"""Ghost's members CSV: members become subscribers of the matching newsletters, with an
IMPORT consent record dated from Ghost, on an imported list no campaign reaches until an
editor confirms it; the newsletter's rules for imports hold (suppressed and erased
addresses refused, opt-outs stand); re-runs update; bad files change nothing."""

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import call_command

from masthead.newsletter import consent
from masthead.newsletter.consent import ConsentContext
from masthead.newsletter.models import (
    ConsentRecord,
    ImportedList,
    Newsletter,
    Subscriber,
    Subscription,
    Suppression,
)
from masthead.readers.identity import address_hash
from masthead.transfer.importing import ImportFileError, run_import
from masthead.transfer.models import SourceRecord

MEMBERS = Path(__file__).parent / "fixtures" / "ghost" / "members.csv"
UTC = datetime.UTC


@pytest.fixture
def newsletters(db):
    daily = Newsletter.objects.create(name="Daily briefing", slug="daily", sort_order=1)
    weekly = Newsletter.objects.create(name="Weekly", slug="weekly", sort_order=2)
    return daily, weekly


@pytest.fixture
def already_here(newsletters):
    daily, _weekly = newsletters
    local = Subscriber.objects.create(email="local@example.org", status="confirmed")
    Subscription.objects.create(subscriber=local, newsletter=daily)
    left = Subscriber.objects.create(email="left@example.org", status="unsubscribed")
    Suppression.objects.create(email="suppressed@example.org", reason="hard_bounce")
    return local, left


def active(subscriber):
    return sorted(
        subscriber.subscriptions.filter(is_active=True).values_list("newsletter__slug", flat=True)
    )


def skipped(report):
    return {note.item: note.reason for note in report.skipped}


def state():
    return (
        Subscriber.objects.count(),
        Subscription.objects.count(),
        ConsentRecord.objects.count(),
        ImportedList.objects.count(),
        SourceRecord.objects.count(),
    )


@pytest.mark.django_db
def test_members_become_subscribers_on_an_unconfirmed_list(newsletters, already_here):
    report = run_import(
        "ghost",
        [MEMBERS],
        options={"newsletter_map": {"weekly": "weekly"}, "site": "https://bay.example"},
    )

    ada = Subscriber.objects.get(email="ada@example.org")
    assert ada.status == Subscriber.Status.CONFIRMED
    assert ada.name == "Ada Quill"
    assert ada.imported
    assert active(ada) == ["daily"]  # the first public newsletter, as no other is named
    assert ada.confirmed_at == datetime.datetime(2022, 3, 4, 10, 11, 12, tzinfo=UTC)
    record = ada.consent_records.get()
    assert record.action == ConsentRecord.Action.IMPORT
    assert record.wording.startswith(
        "Imported from Ghost (https://bay.example), where they joined on 2022-03-04."
    )
    assert record.source == "Ghost import of members.csv"
    assert record.newsletters == "daily"
    assert record.confirmed_at == datetime.datetime(2022, 3, 4, 10, 11, 12, tzinfo=UTC)

    ben = Subscriber.objects.get(email="ben@example.org")  # the address lower-cased
    assert active(ben) == ["daily", "weekly"]  # the "weekly" label mapped

    cara = Subscriber.objects.get(email="cara@example.org")
    assert cara.status == Subscriber.Status.UNSUBSCRIBED
    assert active(cara) == []
    assert list(cara.consent_records.values_list("action", flat=True).order_by("pk")) == [
        ConsentRecord.Action.IMPORT,
        ConsentRecord.Action.OPT_OUT,
    ]

    imported = ada.imported_list
    assert (imported.source, imported.filename, imported.count) == ("ghost", "members.csv", 4)
    assert imported.confirmed_at is None
    assert set(imported.subscribers.values_list("email", flat=True)) == {
        "ada@example.org",
        "ben@example.org",
        "cara@example.org",
        "dan@example.org",
    }
    # Not mailable until an editor confirms the list.
    daily, weekly = newsletters
    mailable = consent.mailable_subscribers([daily.pk, weekly.pk])
    assert list(mailable.values_list("email", flat=True)) == ["local@example.org"]

    # The report names members by their line in the file, never by their address.
    assert skipped(report) == {
        "line 6": "address is on the suppression list",
        "line 7": "invalid email address",
        "line 8": "deleted on Ghost",
        "line 9": "already a subscriber; left unchanged",
        "line 10": "already unsubscribed; their opt-out stands",
    }
    assert Subscriber.objects.get(email="left@example.org").status == "unsubscribed"
    assert not Subscriber.objects.filter(email="suppressed@example.org").exists()
    assert report.as_dict()["counts"]["member"] == {"created": 4, "skipped": 5}
    approximated = "\n".join(f"{n.item}: {n.reason}" for n in report.approximated)
    assert "line 3: was a paying member on Ghost (a Stripe customer)" in approximated
    assert "line 3: was on the tier(s) Free, Supporter on Ghost" in approximated
    assert "line 5: had a complimentary plan on Ghost" in approximated
    assert "line 4: had unsubscribed on Ghost" in approximated
    assert "no campaign reaches until an editor confirms" in approximated


@pytest.mark.django_db
def test_an_erased_readers_address_is_refused(newsletters):
    Suppression.objects.create(address_hash=address_hash("ada@example.org"), reason="erased")

    report = run_import("ghost", [MEMBERS])

    assert skipped(report)["line 2"] == "erased at the reader's request"
    assert not Subscriber.objects.filter(email="ada@example.org").exists()


@pytest.mark.django_db
def test_a_re_run_updates_and_an_opt_out_on_either_side_stands(tmp_path, newsletters):
    run_import("ghost", [MEMBERS])
    before = state()

    report = run_import("ghost", [MEMBERS])

    assert state() == before
    assert report.as_dict()["counts"]["member"]["unchanged"] == 7

    # Ada leaves here; Ghost's later export says Ben unsubscribed and Ada is still in.
    ada = Subscriber.objects.get(email="ada@example.org")
    consent.unsubscribe_all(ada, ConsentContext(source="unsubscribe link"))
    later = MEMBERS.read_text().replace(
        "Ben Hart,Met at the fair,true", "Ben Hart,Met at the fair,false"
    )
    path = tmp_path / "members.csv"
    path.write_text(later)

    report = run_import("ghost", [path])

    assert Subscriber.objects.get(email="ada@example.org").status == "unsubscribed"
    ben = Subscriber.objects.get(email="ben@example.org")
    assert ben.status == "unsubscribed"
    assert ben.consent_records.filter(action=ConsentRecord.Action.OPT_OUT).exists()
    assert report.as_dict()["counts"]["member"]["updated"] == 1
    assert ImportedList.objects.count() == 1  # nobody new, so no new list


@pytest.mark.django_db
def test_a_dry_run_changes_nothing(newsletters):
    before = state()

    report = run_import("ghost", [MEMBERS], dry_run=True)

    assert report.as_dict()["counts"]["member"]["created"] == 7
    assert state() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "options", "message"),
    [
        (b"", {}, "members.csv is empty"),
        (b"name,note\nAda,hi\n", {}, "has no email column"),
        (b"email\n\xff\xfe@example.org\n", {}, "is not UTF-8 text"),
        (b'email,name\n"ada@example.org,Ada\n', {}, None),
        (b"email,name\nada@example.org,Ada,extra\n", {}, "more values than the first line"),
        (b"email\nada@example.org\n", {"default_newsletter": "monthly"}, "is not a newsletter"),
        (b"email\nada@example.org\n", {"newsletter_map": {"x": "nope"}}, "not a newsletter"),
    ],
)
def test_a_bad_members_file_is_refused_whole(tmp_path, newsletters, content, options, message):
    path = tmp_path / "members.csv"
    path.write_bytes(content)

    if message is None:
        # An unterminated quote swallows the rest of the file: one odd row, no crash.
        report = run_import("ghost", [path], options=options)
        assert not Subscriber.objects.exclude(email__contains="@").exists()
        assert report.failed == []
        return
    with pytest.raises(ImportFileError, match=message):
        run_import("ghost", [path], options=options)
    assert state() == (0, 0, 0, 0, 0)


@pytest.mark.django_db
def test_members_need_a_newsletter_here(tmp_path):
    with pytest.raises(ImportFileError, match="no newsletter here to subscribe people to"):
        run_import("ghost", [MEMBERS])
    assert not Subscriber.objects.exists()


@pytest.mark.django_db
def test_the_command_line_imports_members_with_its_options(newsletters):
    out = io.StringIO()

    call_command(
        "import",
        "ghost",
        str(MEMBERS),
        "--option",
        "default_newsletter=weekly",
        "--newsletter-map",
        "vip=daily",
        stdout=out,
    )

    ben = Subscriber.objects.get(email="ben@example.org")
    assert active(ben) == ["daily", "weekly"]  # the default, and "vip" mapped to daily
    assert active(Subscriber.objects.get(email="ada@example.org")) == ["weekly"]
    lines = out.getvalue().splitlines()
    assert lines[0] == "Import finished."
    assert "  member: 7 created, 2 skipped" in lines
