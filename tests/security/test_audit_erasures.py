"""Erasures are in Wagtail's audit log (issue 10, audit log): a reader's own request, from
their account page, and every erasure once it is carried out, with no user (no editor did
it) and never the reader's address; an editor's request on a reader's behalf is logged with
the editor ("readers.erasure_on_behalf", tests/readers/test_admin_people.py)."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from wagtail.log_actions import registry
from wagtail.models import ModelLogEntry

from masthead.readers import identity
from masthead.readers.actions import EraseOnBehalf
from masthead.readers.models import DataRequest, Reader
from tests.readers import signed_in

pytestmark = pytest.mark.django_db

ADDRESS = "Erin.Reader@Example.org"


def erasure_entries():
    return [
        (entry.action, entry.user_id, entry.object_id, entry.label, entry.data)
        for entry in ModelLogEntry.objects.filter(action__startswith="readers.").order_by("pk")
    ]


def message(action):
    entry = ModelLogEntry.objects.get(action=action)
    return str(registry.get_formatter(entry).format_message(entry))


def test_a_readers_own_erasure_is_logged_when_asked_for_and_when_done(
    client, django_capture_on_commit_callbacks
):
    signed_in(client, ADDRESS, name="Erin Reader")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("readers:data_erase"), {"email": ADDRESS, "confirm": "on"})

    assert response.status_code == 302
    data_request = DataRequest.objects.get(kind="erasure")
    assert data_request.status == "done"
    assert not Reader.objects.exists()
    label = str(data_request)
    assert erasure_entries() == [
        (
            "readers.erasure_requested",
            None,
            str(data_request.pk),
            label,
            {"request": data_request.pk},
        ),
        (
            "readers.erased",
            None,
            str(data_request.pk),
            label,
            {"request": data_request.pk, "asked_by": "reader"},
        ),
    ]
    assert message("readers.erasure_requested") == "Erasure asked for by the reader"
    assert message("readers.erased") == "Reader erased"
    logged = " ".join(str(entry) for entry in erasure_entries()).lower()
    assert "erin" not in logged


def test_an_erasure_an_editor_asked_for_is_logged_with_the_editor_then_as_done(
    django_capture_on_commit_callbacks,
):
    identity.verified(ADDRESS)
    editor = User.objects.create_superuser("desk", "desk@newsroom.test", "pw")

    with django_capture_on_commit_callbacks(execute=True):
        EraseOnBehalf(ADDRESS, editor).execute()

    data_request = DataRequest.objects.get(kind="erasure")
    assert [(action, user, data) for action, user, _pk, _label, data in erasure_entries()] == [
        (
            "readers.erasure_on_behalf",
            editor.pk,
            {"request": data_request.pk, "kind": "erasure"},
        ),
        ("readers.erased", None, {"request": data_request.pk, "asked_by": "editor"}),
    ]
