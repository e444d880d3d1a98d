"""What Wagtail's audit log does not say by itself about roles and settings.

Wagtail already logs that a user, a group or a site setting was created, edited or deleted,
and by whom ("wagtail.create", "wagtail.edit", "wagtail.delete"), but not what changed. These
receivers add one entry saying what: the groups a person joined or left, their superuser and
active status, a group's model permissions, its page and collection permissions, and each
changed field of a setting. They log only changes made by someone signed in to the admin
(Wagtail's active log context names them); changes made by commands and migrations
(``setup_roles``, the demo) are not people's actions to audit. The wording of every entry is
rendered when it is shown, from its data.
"""

from django import forms
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import LogFormatter, get_active_log_context, log

# The longest value of a setting kept in a log entry.
VALUE_LENGTH = 200
STATUS_FIELDS = ("is_superuser", "is_active")


def acting_user():
    """The person whose admin request is running, or None outside one."""
    return get_active_log_context().user


def _permission_name(permission):
    app_label = ContentType.objects.get_for_id(permission.content_type_id).app_label
    return f"{app_label}.{permission.codename}"


def _changed_items(instance, action, model, pk_set, related_name):
    """What an ``m2m_changed`` signal added or removed, as ("added" or "removed", objects), or
    None for the signals that change nothing yet."""
    if action == "pre_clear":
        instance._accounts_cleared = list(getattr(instance, related_name).all())
        return None
    if action == "post_clear":
        return "removed", instance.__dict__.pop("_accounts_cleared", [])
    if action in {"post_add", "post_remove"} and pk_set:
        change = "added" if action == "post_add" else "removed"
        return change, list(model._default_manager.filter(pk__in=pk_set))
    return None


def _log_change(owner, log_action, change, names):
    if names:
        data = {"added": [], "removed": []}
        data[change] = names
        log(owner, log_action, user=acting_user(), data=data)


def log_group_membership(sender, instance, action, reverse, model, pk_set, **kwargs):
    """``m2m_changed`` on ``User.groups``: the groups (roles) a person joined or left, made
    from either side (``user.groups`` or ``group.user_set``)."""
    if acting_user() is None:
        return
    changed = _changed_items(instance, action, model, pk_set, "user_set" if reverse else "groups")
    if changed is None:
        return
    change, items = changed
    if reverse:
        for user in items:
            _log_change(user, "accounts.groups_changed", change, [instance.name])
    else:
        names = sorted(group.name for group in items)
        _log_change(instance, "accounts.groups_changed", change, names)


def log_group_permissions(sender, instance, action, reverse, model, pk_set, **kwargs):
    """``m2m_changed`` on ``Group.permissions``: the model permissions a group gained or
    lost, made from either side."""
    if acting_user() is None:
        return
    related_name = "group_set" if reverse else "permissions"
    changed = _changed_items(instance, action, model, pk_set, related_name)
    if changed is None:
        return
    change, items = changed
    if reverse:
        for group in items:
            _log_change(group, "accounts.permissions_changed", change, [_permission_name(instance)])
    else:
        names = sorted(_permission_name(permission) for permission in items)
        _log_change(instance, "accounts.permissions_changed", change, names)


def page_and_collection_permissions(group):
    """A group's page permissions and its collection permissions, as two sets of names
    ("wagtailcore.publish_page on page 4 (News)")."""
    if group.pk is None:
        return set(), set()
    pages = group.page_permissions.values_list(
        "permission__content_type__app_label", "permission__codename", "page_id", "page__title"
    )
    collections = group.collection_permissions.values_list(
        "permission__content_type__app_label",
        "permission__codename",
        "collection_id",
        "collection__name",
    )
    return (
        {f"{app}.{codename} on page {pk} ({title})" for app, codename, pk, title in pages},
        {
            f"{app}.{codename} on collection {pk} ({name})"
            for app, codename, pk, name in collections
        },
    )


class PermissionChangesPanel:
    """The last of the group editor's permission panels (Wagtail's
    ``register_group_permission_panel`` hook), with no fields of its own: it notes the
    group's page and collection permissions when the form is built and, once the panels
    before it have saved theirs, logs what changed. Wagtail saves those rows with
    ``bulk_create`` and queryset deletes, which send no per-row signal to listen to."""

    media = forms.Media()

    def __init__(self, data=None, files=None, instance=None, **kwargs):
        self.instance = instance if instance is not None else Group()
        self.before = page_and_collection_permissions(self.instance)

    def is_valid(self):
        return True

    def save(self):
        user = acting_user()
        if user is None:
            return
        after = page_and_collection_permissions(self.instance)
        actions = ("accounts.page_permissions_changed", "accounts.collection_permissions_changed")
        for log_action, before, now in zip(actions, self.before, after, strict=True):
            added, removed = sorted(now - before), sorted(before - now)
            if added or removed:
                log(self.instance, log_action, user=user, data={"added": added, "removed": removed})

    def as_admin_panel(self):
        return ""


def remember_status(sender, instance, update_fields=None, **kwargs):
    """``pre_save`` on the user model: keep the superuser and active status before a save
    that may change them."""
    if acting_user() is None:
        return
    if update_fields is not None and not set(update_fields) & set(STATUS_FIELDS):
        return
    before = None
    if instance.pk is not None:
        before = sender._default_manager.filter(pk=instance.pk).values(*STATUS_FIELDS).first()
    instance._accounts_status_before = before or {"is_superuser": False, "is_active": True}


def log_status_change(sender, instance, **kwargs):
    """``post_save`` on the user model: log a change of superuser or active status."""
    before = instance.__dict__.pop("_accounts_status_before", None)
    if before is None:
        return
    changes = {
        field: [before[field], getattr(instance, field)]
        for field in STATUS_FIELDS
        if before[field] != getattr(instance, field)
    }
    if changes:
        log(instance, "accounts.status_changed", user=acting_user(), data=changes)


def _setting_values(instance):
    return {
        field.name: str(field.value_from_object(instance))[:VALUE_LENGTH]
        for field in instance._meta.concrete_fields
        if not field.primary_key and field.name != "site"
    }


def remember_setting(sender, instance, **kwargs):
    """``pre_save`` on a settings model: keep its values as they were."""
    if acting_user() is None or instance.pk is None:
        return
    stored = sender._default_manager.filter(pk=instance.pk).first()
    if stored is not None:
        instance._accounts_values_before = _setting_values(stored)


def log_setting_change(sender, instance, **kwargs):
    """``post_save`` on a settings model: log each field that changed, before and after."""
    before = instance.__dict__.pop("_accounts_values_before", None)
    if before is None:
        return
    after = _setting_values(instance)
    changes = {
        name: [before[name], value] for name, value in after.items() if before[name] != value
    }
    if changes:
        log(instance, "accounts.settings_changed", user=acting_user(), data={"changed": changes})


class AddedRemovedFormatter(LogFormatter):
    """A message listing what was added and what was removed, from the entry's data."""

    added = ""
    removed = ""

    def format_message(self, log_entry):
        parts = []
        if log_entry.data.get("added"):
            parts.append(self.added % {"names": ", ".join(log_entry.data["added"])})
        if log_entry.data.get("removed"):
            parts.append(self.removed % {"names": ", ".join(log_entry.data["removed"])})
        return "; ".join(str(part) for part in parts)


class GroupsChanged(AddedRemovedFormatter):
    label = _("Change groups")
    added = _("Added to %(names)s")
    removed = _("Removed from %(names)s")


class PermissionsChanged(AddedRemovedFormatter):
    label = _("Change group permissions")
    added = _("Permissions granted: %(names)s")
    removed = _("Permissions withdrawn: %(names)s")


class PagePermissionsChanged(AddedRemovedFormatter):
    label = _("Change group page permissions")
    added = _("Page permissions granted: %(names)s")
    removed = _("Page permissions withdrawn: %(names)s")


class CollectionPermissionsChanged(AddedRemovedFormatter):
    label = _("Change group collection permissions")
    added = _("Collection permissions granted: %(names)s")
    removed = _("Collection permissions withdrawn: %(names)s")


class StatusChanged(LogFormatter):
    label = _("Change superuser or active status")
    field_labels = {"is_superuser": _("Superuser"), "is_active": _("Active")}

    def format_message(self, log_entry):
        return "; ".join(
            _("%(field)s: %(before)s → %(after)s")
            % {
                "field": self.field_labels.get(field, field),
                "before": _("yes") if before else _("no"),
                "after": _("yes") if after else _("no"),
            }
            for field, (before, after) in log_entry.data.items()
        )


class SettingsChanged(LogFormatter):
    label = _("Change settings")

    def format_message(self, log_entry):
        return _("Changed: %(fields)s") % {
            "fields": ", ".join(sorted(log_entry.data.get("changed", {})))
        }


FORMATTERS = {
    "accounts.groups_changed": GroupsChanged,
    "accounts.permissions_changed": PermissionsChanged,
    "accounts.page_permissions_changed": PagePermissionsChanged,
    "accounts.collection_permissions_changed": CollectionPermissionsChanged,
    "accounts.status_changed": StatusChanged,
    "accounts.settings_changed": SettingsChanged,
}
