"""Role, permission and settings changes made in the admin, and two-factor resets, are
written to Wagtail's audit log with who made them and what changed; Wagtail's own entries
("wagtail.edit") say only that something was edited."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.log_actions import LogContext, registry
from wagtail.models import ModelLogEntry

from masthead.accounts import two_factor
from masthead.accounts.actions import ResetTwoFactor
from masthead.core.actions import ActionNotPermitted
from masthead.core.models import SiteSettings
from masthead.publishing.roles import ADMINISTRATORS, CONTRIBUTORS, EDITORS
from tests.accounts.admin_forms import form_fields, submit
from tests.accounts.conftest import make_person
from tests.publishing.factories import make_site_tree

pytestmark = pytest.mark.django_db


def entries(instance, action):
    return [
        (entry.user, entry.data)
        for entry in ModelLogEntry.objects.for_instance(instance)
        .filter(action=action)
        .order_by("pk")
    ]


def message(instance, action):
    entry = ModelLogEntry.objects.for_instance(instance).get(action=action)
    return str(registry.get_formatter(entry).format_message(entry))


def group_pk(name):
    return str(Group.objects.get(name=name).pk)


def test_a_persons_groups_changed_in_the_admin_are_logged_with_who_changed_them(
    client, administrator, contributor
):
    client.force_login(administrator)

    response = submit(
        client, f"/admin/users/edit/{contributor.pk}/", {"groups": [group_pk(EDITORS)]}
    )

    assert response.status_code == 302
    assert list(contributor.groups.values_list("name", flat=True)) == [EDITORS]
    assert entries(contributor, "accounts.groups_changed") == [
        (administrator, {"added": [], "removed": [CONTRIBUTORS]}),
        (administrator, {"added": [EDITORS], "removed": []}),
    ]
    # Wagtail's own entry says only that the user was edited.
    assert entries(contributor, "wagtail.edit") == [(administrator, {})]


def test_groups_changed_from_the_groups_side_are_logged_on_each_person(administrator, editor):
    with LogContext(user=administrator):
        Group.objects.get(name=ADMINISTRATORS).user_set.add(editor)

    assert entries(editor, "accounts.groups_changed") == [
        (administrator, {"added": [ADMINISTRATORS], "removed": []})
    ]
    assert message(editor, "accounts.groups_changed") == "Added to Administrators"


def test_granting_superuser_status_is_logged(client, superuser, editor):
    client.force_login(superuser)

    response = submit(client, f"/admin/users/edit/{editor.pk}/", {"is_superuser": "on"})

    assert response.status_code == 302
    assert entries(editor, "accounts.status_changed") == [
        (superuser, {"is_superuser": [False, True]})
    ]
    assert message(editor, "accounts.status_changed") == "Superuser: no → yes"


def test_a_groups_model_permissions_changed_in_the_admin_are_logged(client, superuser):
    contributors = Group.objects.get(name=CONTRIBUTORS)
    change_user = Permission.objects.get(content_type__app_label="auth", codename="change_user")
    client.force_login(superuser)
    url = f"/admin/groups/edit/{contributors.pk}/"

    response = submit(client, url, {"permissions": [str(change_user.pk), *_checked(client, url)]})

    assert response.status_code == 302
    assert contributors.permissions.filter(pk=change_user.pk).exists()
    assert entries(contributors, "accounts.permissions_changed") == [
        (superuser, {"added": ["auth.change_user"], "removed": []})
    ]


def _checked(client, url):
    return form_fields(client.get(url).content.decode(), url).get("permissions", [])


def test_site_settings_changes_are_logged_field_by_field(client, editor):
    tree = make_site_tree()
    client.force_login(editor)

    response = submit(
        client,
        f"/admin/settings/core/sitesettings/{tree.site.pk}/",
        {"newsletter_url": "/newsletter/", "strapline": "News that matters"},
    )

    assert response.status_code == 302
    settings_row = SiteSettings.for_site(tree.site)
    assert entries(settings_row, "accounts.settings_changed") == [
        (
            editor,
            {
                "changed": {
                    "newsletter_url": ["", "/newsletter/"],
                    "strapline": ["", "News that matters"],
                }
            },
        )
    ]
    assert message(settings_row, "accounts.settings_changed") == (
        "Changed: newsletter_url, strapline"
    )


def test_changes_made_outside_the_admin_are_not_logged_as_peoples_actions(db):
    make_person("made-by-a-command", EDITORS, is_superuser=True)

    assert not ModelLogEntry.objects.filter(action__startswith="accounts.").exists()


def enrolled(user):
    TOTPDevice.objects.create(user=user, name="app", key=two_factor.new_secret(), confirmed=True)
    return user


def test_an_administrator_resets_a_persons_two_factor_and_it_is_logged(
    client, administrator, editor
):
    enrolled(editor)
    client.force_login(administrator)
    page = client.get(f"/admin/two-factor/reset/{editor.pk}/")
    assert "Reset the two-factor authentication of Editor Example?" in page.content.decode()

    response = client.post(f"/admin/two-factor/reset/{editor.pk}/")

    assert response.status_code == 302
    assert response.url == "/admin/users/"
    assert not TOTPDevice.objects.filter(user=editor).exists()
    assert entries(editor, "accounts.two_factor_reset") == [
        (administrator, {"had_two_factor": True})
    ]
    assert message(editor, "accounts.two_factor_reset") == "Two-factor authentication reset"
    assert (
        "Reset the two-factor"
        not in client.get(f"/admin/two-factor/reset/{editor.pk}/").content.decode()
    )


def test_the_users_listing_offers_the_reset_to_administrators_only(client, administrator, editor):
    client.force_login(administrator)
    assert "Reset two-factor authentication" in client.get("/admin/users/").content.decode()

    with pytest.raises(ActionNotPermitted):
        ResetTwoFactor(administrator, editor).check()


def test_someone_who_may_not_change_users_cannot_reset_two_factor(client, editor, contributor):
    enrolled(contributor)
    client.force_login(editor)

    response = client.post(f"/admin/two-factor/reset/{contributor.pk}/")

    assert response.status_code == 302
    assert response.url == "/admin/"
    assert TOTPDevice.objects.filter(user=contributor).exists()
    assert not ModelLogEntry.objects.filter(action="accounts.two_factor_reset").exists()


def test_only_a_superuser_may_reset_a_superusers_two_factor(administrator, superuser):
    enrolled(superuser)

    with pytest.raises(ActionNotPermitted):
        ResetTwoFactor(superuser, administrator).execute()

    assert TOTPDevice.objects.filter(user=superuser).exists()
    other_superuser = User.objects.create_superuser("deputy", "deputy@newsroom.test", "x" * 20)
    ResetTwoFactor(superuser, other_superuser).execute()
    assert not TOTPDevice.objects.filter(user=superuser).exists()
