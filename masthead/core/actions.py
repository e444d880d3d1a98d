"""Actions: a change an editor makes to money or to readers' inboxes (refund a gift, cancel
or dispatch an order, send a campaign) as one object that checks the acting user's
permission, does the work through the app's services and writes who did it to Wagtail's
audit log. The admin, the API and management commands all go through the same object, as
they do through Wagtail's own page actions (``PublishPageRevisionAction`` and the like).

An app declares its actions as subclasses of ``Action`` next to its services, and registers
their log wording with ``register_log_actions`` in its ``wagtail_hooks.py``.
"""

from django.core.exceptions import PermissionDenied
from django.utils.functional import LazyObject, empty
from wagtail.log_actions import log


def concrete(value):
    """``value`` itself, out of however many lazy wrappers it sits in (``request.user`` is
    one, and two under django-otp's middleware): Wagtail's log unwraps only one and silently
    writes nothing for anything else."""
    while isinstance(value, LazyObject):
        if value._wrapped is empty:
            value._setup()
        value = value._wrapped
    return value


def audit_log(instance, action, user, data=None):
    """Write one entry to Wagtail's audit log (the admin's Logs report)."""
    return log(concrete(instance), action, user=concrete(user), data=data or {})


class ActionNotPermitted(PermissionDenied):
    """The acting user may not carry out this action (nothing was changed)."""


class Action:
    """One editor's change to one object: ``execute()`` checks, performs and logs.

    Subclasses set ``permission`` (``"app_label.codename"``, checked with ``has_perm``) and
    ``log_action`` (the audit-log action name), and implement ``perform()``, which returns
    the result and, through ``log_data``, what the log entry should keep.
    """

    permission = ""
    log_action = ""

    def __init__(self, instance, user):
        self.instance = instance
        self.user = user
        self.log_data = {}

    def check(self):
        """Refuse a user who is missing, inactive or lacks the permission."""
        user = self.user
        if user is None or not user.is_active or not user.has_perm(self.permission):
            raise ActionNotPermitted(
                f"{getattr(user, 'username', 'Nobody')} may not {self.log_action}."
            )

    def perform(self):
        raise NotImplementedError

    def execute(self):
        """Check the permission, perform the change, and record who made it."""
        self.check()
        result = self.perform()
        audit_log(self.instance, self.log_action, self.user, self.log_data)
        return result
