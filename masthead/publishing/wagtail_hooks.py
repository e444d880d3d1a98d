"""Admin hooks that keep publishing decisions with the people allowed to publish.

Wagtail shows the "schedule publishing" dates to everyone who can edit a page, and a go-live
date saved in a contributor's draft would take effect the moment an editor approves it. Only
editors schedule: for users who cannot publish the page, the dates they send are replaced by
the ones the page already has before Wagtail reads the form.
"""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import hooks

SCHEDULE_FIELDS = ("go_live_at", "expire_at")


def _same_time(submitted, current):
    """Whether a submitted date (as the admin's date picker writes it, to the minute) is the
    one the page already has."""
    formats = [settings.WAGTAIL_DATETIME_FORMAT]
    try:
        value = forms.DateTimeField(input_formats=formats, required=False).clean(submitted)
    except ValidationError:
        return False
    if value is None or current is None:
        return value is None and current is None
    return value == current.replace(second=0, microsecond=0) or value == current


def _keep_existing_schedule(request, page):
    """Replace the schedule in the submitted form with ``page``'s (none for a new page)."""
    if request.method != "POST":
        return
    data = request.POST.copy()
    changed = False
    for name in SCHEDULE_FIELDS:
        current = getattr(page, name, None) if page is not None else None
        if name in data and not _same_time(data[name], current):
            changed = True
        data[name] = current.isoformat() if current else ""
    request.POST = data
    if changed:
        messages.warning(
            request,
            _("Only editors can schedule publishing; the dates you chose were not kept."),
        )


@hooks.register("before_edit_page")
def keep_schedule_when_editing(request, page):
    """A user who cannot publish this page cannot change when it goes live or expires."""
    if not page.permissions_for_user(request.user).can_publish():
        _keep_existing_schedule(request, page)


@hooks.register("before_create_page")
def keep_schedule_when_creating(request, parent_page, page_class):
    """A user who cannot publish here creates pages with no schedule."""
    if not parent_page.permissions_for_user(request.user).can_publish_subpage():
        _keep_existing_schedule(request, None)
