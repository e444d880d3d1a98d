"""The newsroom's roles and its review workflow, as Wagtail groups, permissions and a workflow.

- **Contributors** write articles and submit them for review. They can edit only the pages
  they own, upload and choose images, and can neither publish nor schedule.
- **Editors** (Wagtail's own group, extended here) edit, publish, schedule, unpublish and lock
  anything on the site, manage images, documents, redirects, snippets and the site settings,
  and are the reviewers of the "Editorial review" workflow.
- **Administrators** have everything editors have, and manage users, groups, workflows and
  sites. Superusers can do everything anyway.

Every submission for moderation below the site's home page goes through the "Editorial
review" workflow: one task approved by the Editors group, whose members get Wagtail's
notification emails.

:func:`apply_roles` is written against an app registry passed in, so the data migration
(with historical models) and the ``setup_roles`` command (with the real ones) share it.
Applying it again only adds what is missing: it never takes away a permission an
administrator granted by hand.
"""

from dataclasses import dataclass

from django.contrib.auth.management import create_permissions

CONTRIBUTORS = "Contributors"
EDITORS = "Editors"
ADMINISTRATORS = "Administrators"
EDITORIAL_REVIEW_WORKFLOW = "Editorial review"
EDITORIAL_REVIEW_TASK = "Editor approval"

# Where a role's page permissions apply: the default site's home page and everything under
# it, or the tree's root (every site on the installation).
HOME_TREE = "home"
WHOLE_TREE = "root"

# The apps whose permissions the roles refer to; during ``migrate`` Django only creates
# permissions after the last migration, so the data migration creates them itself.
APPS_WITH_ROLE_PERMISSIONS = {
    "auth",
    "core",
    "wagtailadmin",
    "wagtailcore",
    "wagtaildocs",
    "wagtailimages",
    "wagtailredirects",
}


@dataclass(frozen=True)
class Role:
    """What one group may do: page permissions over a tree, permissions on the root collection
    for images and documents, and plain model permissions ("app_label.codename")."""

    name: str
    page_permissions: tuple[str, ...]
    page_tree: str
    collection_permissions: tuple[str, ...]
    model_permissions: tuple[str, ...]
    edits_snippets: bool = False


_EDITOR_PAGE_PERMISSIONS = ("add", "change", "publish", "lock")
_EDITOR_COLLECTION_PERMISSIONS = (
    "wagtailimages.add_image",
    "wagtailimages.change_image",
    "wagtailimages.delete_image",
    "wagtailimages.choose_image",
    "wagtaildocs.add_document",
    "wagtaildocs.change_document",
    "wagtaildocs.delete_document",
    "wagtaildocs.choose_document",
)
_EDITOR_MODEL_PERMISSIONS = (
    "wagtailadmin.access_admin",
    "core.change_sitesettings",
    "wagtailredirects.add_redirect",
    "wagtailredirects.change_redirect",
    "wagtailredirects.delete_redirect",
)

ROLES = (
    Role(
        name=CONTRIBUTORS,
        # "add" without "change" is Wagtail's "add pages, and edit the pages you own".
        page_permissions=("add",),
        page_tree=HOME_TREE,
        collection_permissions=("wagtailimages.add_image", "wagtailimages.choose_image"),
        model_permissions=("wagtailadmin.access_admin",),
    ),
    Role(
        name=EDITORS,
        page_permissions=_EDITOR_PAGE_PERMISSIONS,
        page_tree=WHOLE_TREE,
        collection_permissions=_EDITOR_COLLECTION_PERMISSIONS,
        model_permissions=_EDITOR_MODEL_PERMISSIONS,
        edits_snippets=True,
    ),
    Role(
        name=ADMINISTRATORS,
        page_permissions=(*_EDITOR_PAGE_PERMISSIONS, "unlock", "bulk_delete"),
        page_tree=WHOLE_TREE,
        collection_permissions=_EDITOR_COLLECTION_PERMISSIONS,
        model_permissions=(
            *_EDITOR_MODEL_PERMISSIONS,
            *(
                f"{app_label}.{action}_{model}"
                for app_label, model in (
                    ("auth", "user"),
                    ("auth", "group"),
                    ("wagtailcore", "workflow"),
                    ("wagtailcore", "task"),
                    ("wagtailcore", "site"),
                )
                for action in ("add", "change", "delete")
            ),
        ),
        edits_snippets=True,
    ),
)


def apply_roles(apps, snippet_models=()):
    """Create or complete the three groups and the "Editorial review" workflow.

    ``apps`` is the app registry to use (historical in a migration, ``django.apps.apps``
    otherwise); ``snippet_models`` lists the models registered as snippets, as
    ``(app_label, model_name)`` pairs, on which editors and administrators get every
    permission.
    """
    _create_missing_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Page = apps.get_model("wagtailcore", "Page")
    Site = apps.get_model("wagtailcore", "Site")
    Collection = apps.get_model("wagtailcore", "Collection")

    root_page = Page.objects.filter(depth=1).order_by("path").first()
    default_site = Site.objects.filter(is_default_site=True).first()
    home_page = default_site.root_page if default_site else None
    root_collection = Collection.objects.filter(depth=1).order_by("path").first()
    trees = {HOME_TREE: home_page, WHOLE_TREE: root_page}

    groups = {}
    for role in ROLES:
        group, _created = Group.objects.get_or_create(name=role.name)
        groups[role.name] = group
        group.permissions.add(*_permissions(apps, role.model_permissions))
        if role.edits_snippets:
            group.permissions.add(*_snippet_permissions(apps, snippet_models))
        page = trees[role.page_tree]
        if page is not None:
            _grant_page_permissions(apps, group, page, role.page_permissions)
        if root_collection is not None:
            _grant_collection_permissions(apps, group, root_collection, role.collection_permissions)

    if home_page is not None:
        _assign_editorial_review(apps, home_page, groups[EDITORS])


def _create_missing_permissions(apps):
    for app_config in apps.get_app_configs():
        if app_config.label not in APPS_WITH_ROLE_PERMISSIONS:
            continue
        # Historical app configs have no models module, which create_permissions checks
        # for; the real registry's configs already have one.
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        try:
            create_permissions(app_config, verbosity=0, apps=apps)
        finally:
            app_config.models_module = models_module


def _permission(apps, app_label, codename):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def _permissions(apps, dotted_names):
    return [_permission(apps, *name.split(".", 1)) for name in dotted_names]


def _snippet_permissions(apps, snippet_models):
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    permissions = []
    for app_label, model_name in snippet_models:
        content_type = ContentType.objects.filter(
            app_label=app_label, model=model_name.lower()
        ).first()
        if content_type is not None:
            permissions.extend(Permission.objects.filter(content_type=content_type))
    return permissions


def _grant_page_permissions(apps, group, page, actions):
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    for action in actions:
        GroupPagePermission.objects.get_or_create(
            group=group, page=page, permission=_permission(apps, "wagtailcore", f"{action}_page")
        )


def _grant_collection_permissions(apps, group, collection, dotted_names):
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")
    for permission in _permissions(apps, dotted_names):
        GroupCollectionPermission.objects.get_or_create(
            group=group, collection=collection, permission=permission
        )


def _assign_editorial_review(apps, home_page, editors):
    """Make every submission under the home page need an editor's approval."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")

    task = GroupApprovalTask.objects.filter(name=EDITORIAL_REVIEW_TASK).first()
    if task is None:
        task = GroupApprovalTask.objects.create(
            name=EDITORIAL_REVIEW_TASK,
            content_type=ContentType.objects.get_or_create(
                app_label="wagtailcore", model="groupapprovaltask"
            )[0],
            active=True,
        )
    task.groups.add(editors)

    workflow, _created = Workflow.objects.get_or_create(
        name=EDITORIAL_REVIEW_WORKFLOW, defaults={"active": True}
    )
    if not WorkflowTask.objects.filter(workflow=workflow, task=task).exists():
        WorkflowTask.objects.create(
            workflow=workflow,
            task=task,
            sort_order=WorkflowTask.objects.filter(workflow=workflow).count(),
        )
    # An outlet that chose another workflow for its home page keeps it.
    WorkflowPage.objects.get_or_create(page=home_page, defaults={"workflow": workflow})
