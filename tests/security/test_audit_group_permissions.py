"""A group's page and collection permissions changed in the admin's group editor are written
to Wagtail's audit log with who changed them and what changed (issue 10, role changes), as
its model permissions are (tests/accounts/test_audit.py); Wagtail's own "wagtail.edit" entry
says only that the group was edited. Wagtail saves those rows in bulk, without the per-row
signals the model permissions' entry listens to."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from wagtail.log_actions import registry
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, ModelLogEntry

from tests.accounts.admin_forms import form_fields
from tests.publishing.factories import make_site_tree

pytestmark = pytest.mark.django_db


def permission(app_label, codename):
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@pytest.fixture
def night_desk():
    """A group that may publish the home page and add images to the root collection, set up
    outside the admin (so not logged)."""
    tree = make_site_tree()
    group = Group.objects.create(name="Night desk")
    GroupPagePermission.objects.create(
        group=group, page=tree.home, permission=permission("wagtailcore", "publish_page")
    )
    GroupCollectionPermission.objects.create(
        group=group,
        collection=Collection.get_first_root_node(),
        permission=permission("wagtailimages", "add_image"),
    )
    return tree, group


def entries(group, action):
    return [
        (entry.user, entry.data)
        for entry in ModelLogEntry.objects.for_instance(group).filter(action=action).order_by("pk")
    ]


def message(group, action):
    entry = ModelLogEntry.objects.for_instance(group).get(action=action)
    return str(registry.get_formatter(entry).format_message(entry))


def edit_group(client, group, changes):
    """Post the group editor's form as the page renders it, with ``changes``."""
    url = f"/admin/groups/edit/{group.pk}/"
    data = {
        name: values
        for name, values in form_fields(client.get(url).content.decode(), url).items()
        if "__prefix__" not in name
    }
    data.update(
        {name: value if isinstance(value, list) else [value] for name, value in changes.items()}
    )
    return client.post(url, data)


def test_page_and_collection_permissions_changed_in_the_group_editor_are_logged(client, night_desk):
    tree, group = night_desk
    root = Collection.get_first_root_node()
    chief = User.objects.create_superuser("chief", "chief@newsroom.test", "pw")
    client.force_login(chief)

    response = edit_group(
        client,
        group,
        {
            # The home page: publishing withdrawn, adding granted.
            "page_permissions-0-permissions": ["add_page"],
            # The images' collection permission removed, a documents' one added.
            "image_permissions-0-DELETE": "on",
            "document_permissions-TOTAL_FORMS": "1",
            "document_permissions-0-collection": str(root.pk),
            "document_permissions-0-permissions": [
                str(permission("wagtaildocs", "choose_document").pk)
            ],
        },
    )

    assert response.status_code == 302
    assert set(group.page_permissions.values_list("permission__codename", flat=True)) == {
        "add_page"
    }
    assert set(group.collection_permissions.values_list("permission__codename", flat=True)) == {
        "choose_document"
    }
    home = f"page {tree.home.pk} ({tree.home.title})"
    assert entries(group, "accounts.page_permissions_changed") == [
        (
            chief,
            {
                "added": [f"wagtailcore.add_page on {home}"],
                "removed": [f"wagtailcore.publish_page on {home}"],
            },
        )
    ]
    collection = f"collection {root.pk} ({root.name})"
    assert entries(group, "accounts.collection_permissions_changed") == [
        (
            chief,
            {
                "added": [f"wagtaildocs.choose_document on {collection}"],
                "removed": [f"wagtailimages.add_image on {collection}"],
            },
        )
    ]
    assert message(group, "accounts.page_permissions_changed") == (
        f"Page permissions granted: wagtailcore.add_page on {home}; "
        f"Page permissions withdrawn: wagtailcore.publish_page on {home}"
    )
    assert entries(group, "wagtail.edit") == [(chief, {})]


def test_saving_the_group_editor_without_changes_logs_no_permission_change(client, night_desk):
    _tree, group = night_desk
    client.force_login(User.objects.create_superuser("chief", "chief@newsroom.test", "pw"))

    assert edit_group(client, group, {}).status_code == 302

    assert group.page_permissions.count() == 1
    assert group.collection_permissions.count() == 1
    assert not ModelLogEntry.objects.filter(
        action__in=["accounts.page_permissions_changed", "accounts.collection_permissions_changed"]
    ).exists()


def test_a_new_groups_page_permissions_are_logged(client):
    tree = make_site_tree()
    chief = User.objects.create_superuser("chief", "chief@newsroom.test", "pw")
    client.force_login(chief)
    url = "/admin/groups/new/"
    data = {
        name: values
        for name, values in form_fields(client.get(url).content.decode(), url).items()
        if "__prefix__" not in name
    }
    data.update(
        {
            "name": ["Weekend desk"],
            "page_permissions-TOTAL_FORMS": ["1"],
            "page_permissions-0-page": [str(tree.section.pk)],
            "page_permissions-0-permissions": ["change_page"],
        }
    )

    assert client.post(url, data).status_code == 302

    group = Group.objects.get(name="Weekend desk")
    section = f"page {tree.section.pk} ({tree.section.title})"
    assert entries(group, "accounts.page_permissions_changed") == [
        (chief, {"added": [f"wagtailcore.change_page on {section}"], "removed": []})
    ]
