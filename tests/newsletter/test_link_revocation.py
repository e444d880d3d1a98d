"""A reader, or an editor for them, can make every preferences and unsubscribe link sent so
far stop working (issue 10, part 12): a forwarded email must not keep someone else in
charge of a reader's subscriptions."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from wagtail.models import ModelLogEntry

from masthead.newsletter import tokens
from masthead.newsletter.models import Subscriber
from tests.newsletter.subscribe_helpers import make_newsletters, make_subscriber


@pytest.fixture
def reader(db):
    daily, _weekly, _members = make_newsletters()
    return make_subscriber("reader@example.org", [daily])


def test_the_reader_can_make_old_links_stop_working(client, reader):
    old_preferences = tokens.preferences_path(reader)
    old_unsubscribe = tokens.unsubscribe_path(reader)
    assert client.get(old_preferences).status_code == 200

    response = client.post(old_preferences, {"new_links": ""})

    reader.refresh_from_db()
    new_preferences = tokens.preferences_path(reader)
    assert new_preferences != old_preferences
    assert response.status_code == 302
    assert response["Location"] == new_preferences + "?links=renewed"
    landing = client.get(response["Location"])
    assert landing.status_code == 200
    assert "Every link in the emails we sent you before has stopped working." in (
        landing.content.decode()
    )
    assert client.get(old_preferences).status_code == 400
    assert client.post(old_unsubscribe).status_code == 400
    assert client.post(old_preferences, {"unsubscribe_all": ""}).status_code == 400
    reader.refresh_from_db()
    assert reader.status == Subscriber.Status.CONFIRMED
    assert client.get(tokens.unsubscribe_path(reader)).status_code == 200


def staff(username, *codenames):
    user = get_user_model().objects.create_user(username, f"{username}@example.org", "pw")
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        *Permission.objects.filter(content_type__app_label="newsletter", codename__in=codenames),
    )
    return user


def test_an_editor_who_may_only_look_cannot_revoke_links(client, reader):
    secret = reader.secret
    client.force_login(staff("viewer", "view_subscriber"))

    response = client.post(f"/admin/subscribers/{reader.pk}/revoke-links/")

    reader.refresh_from_db()
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert reader.secret == secret
    assert not ModelLogEntry.objects.filter(action="newsletter.revoke_links").exists()


def test_an_editor_revokes_a_readers_links_and_the_log_says_who(client, reader):
    old_preferences = tokens.preferences_path(reader)
    client.force_login(staff("desk", "view_subscriber", "change_subscriber"))

    page = client.get(f"/admin/subscribers/inspect/{reader.pk}/")
    response = client.post(f"/admin/subscribers/{reader.pk}/revoke-links/")

    assert "Revoke links sent so far" in page.content.decode()
    assert response.status_code == 302
    assert client.get(old_preferences).status_code == 400
    entry = ModelLogEntry.objects.get(action="newsletter.revoke_links")
    assert (entry.user.username, int(entry.object_id)) == ("desk", reader.pk)


def test_links_sent_before_a_key_rotation_keep_working_while_the_old_key_is_a_fallback(
    client, reader, settings
):
    old_key = settings.SECRET_KEY
    preferences = tokens.preferences_path(reader)
    unsubscribe = tokens.unsubscribe_path(reader)

    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert client.get(preferences).status_code == 200
    assert client.get(unsubscribe).status_code == 200

    settings.SECRET_KEY_FALLBACKS = []
    assert client.get(preferences).status_code == 400
    assert client.get(tokens.preferences_path(reader)).status_code == 200
