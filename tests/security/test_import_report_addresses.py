"""An import's report, kept with its run and erased by nothing, holds no member's address
(issue 10, retention): members refused (erased at the reader's request, suppressed, invalid),
deleted on the old platform, left unchanged or noted are named by their line in the file."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from masthead.newsletter.models import Newsletter, Subscriber, Suppression
from masthead.readers.identity import address_hash
from masthead.transfer import tasks
from masthead.transfer.importing import run_import
from masthead.transfer.models import ImportRun
from tests.transfer.test_substack import build_zip

pytestmark = pytest.mark.django_db

GHOST_MEMBERS = b"""id,email,name,subscribed_to_emails,stripe_customer_id,created_at,deleted_at
m1,erased.reader@example.org,Erin,true,,2022-03-04T10:11:12.000Z,
m2,bounced.reader@example.org,Bo,true,,2022-03-04T10:11:12.000Z,
m3,gone.reader@example.org,Gil,true,,2022-03-04T10:11:12.000Z,2023-01-01T00:00:00.000Z
m4,Paying.Reader@Example.org,Pat,true,cus_TEST1,2022-03-04T10:11:12.000Z,
m5,not-an-address,Nobody,true,,2022-03-04T10:11:12.000Z,
"""
SUBSTACK_LIST = b"""email,active_subscription,expiry,plan,email_disabled,created_at,first_payment_at
erased.reader@example.org,true,,free,false,2021-02-03T04:05:06.000Z,
Paying.Reader@Example.org,true,2024-12-31T00:00:00.000Z,paid,false,2022-01-01T00:00:00.000Z,2022-01-01T00:00:00.000Z
"""
ADDRESSES = ("erased.reader", "bounced.reader", "gone.reader", "paying.reader", "not-an-address")


@pytest.fixture(autouse=True)
def newsroom(settings, tmp_path):
    settings.TRANSFER_UPLOAD_DIR = tmp_path / "uploads"
    Newsletter.objects.create(name="Bay Notes", slug="bay-notes")
    Suppression.objects.create(
        address_hash=address_hash("erased.reader@example.org"), reason="erased"
    )
    Suppression.objects.create(email="bounced.reader@example.org", reason="hard_bounce")


def addresses_in(report):
    text = json.dumps(report).lower()
    return [address for address in ADDRESSES if address in text]


def test_a_ghost_import_from_the_admin_keeps_no_address_in_its_report(
    django_capture_on_commit_callbacks,
):
    upload = SimpleUploadedFile("members.csv", GHOST_MEMBERS, content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        run = tasks.start_import("ghost", [upload])

    run = ImportRun.objects.get(pk=run.pk)
    assert run.status == ImportRun.Status.DONE, run.error
    assert Subscriber.objects.get().email == "paying.reader@example.org"
    skipped = {note["item"]: note["reason"] for note in run.report["skipped"]}
    assert skipped == {
        "line 2": "erased at the reader's request",
        "line 3": "address is on the suppression list",
        "line 4": "deleted on Ghost",
        "line 6": "invalid email address",
    }
    assert addresses_in(run.report) == []
    approximated = [(note["item"], note["reason"]) for note in run.report["approximated"]]
    assert (
        "line 5",
        "was a paying member on Ghost (a Stripe customer); imported as a free subscriber",
    ) in approximated


def test_a_substack_import_keeps_no_address_in_its_report(tmp_path):
    export = build_zip(
        tmp_path / "bay-notes.zip",
        extra={"email_list.bay-notes.csv": SUBSTACK_LIST},
        skip=("email_list.bay-notes.csv",),
    )

    report = run_import("substack", [export]).as_dict()

    skipped = {note["item"]: note["reason"] for note in report["skipped"]}
    assert skipped["line 2"] == "erased at the reader's request"
    assert addresses_in(report) == []
    assert Subscriber.objects.filter(email="paying.reader@example.org").exists()
