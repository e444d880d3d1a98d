"""The accounts app in Wagtail's admin: the two-factor pages, their entry under Account and
in the users listing, the group editor's audit of page and collection permissions, and the
wording of the audit-log entries. The views are in ``admin/``."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from masthead.accounts import audit
from masthead.accounts.admin.two_factor import ManageView, SetupView, VerifyView
from masthead.accounts.admin.users import ResetTwoFactorView, reset_two_factor_buttons


@hooks.register("register_admin_urls")
def register_two_factor_urls():
    return [
        path("two-factor/", ManageView.as_view(), name="accounts_2fa_manage"),
        path("two-factor/verify/", VerifyView.as_view(), name="accounts_2fa_verify"),
        path("two-factor/setup/", SetupView.as_view(), name="accounts_2fa_setup"),
        path(
            "two-factor/reset/<int:pk>/",
            ResetTwoFactorView.as_view(),
            name="accounts_2fa_reset",
        ),
    ]


@hooks.register("register_account_menu_item")
def two_factor_account_item(request):
    return {
        "url": reverse("accounts_2fa_manage"),
        "label": _("Two-factor authentication"),
        "help_text": _("Ask for a code from your phone after your password."),
    }


hooks.register("register_user_listing_buttons", reset_two_factor_buttons)


@hooks.register("register_group_permission_panel", order=1000)
def register_permission_changes_panel():
    """Last of the group editor's panels: logs the page and collection permissions that
    the panels before it changed."""
    return audit.PermissionChangesPanel


@hooks.register("register_log_actions")
def register_account_log_actions(actions):
    actions.register_action(
        "accounts.two_factor_enabled",
        _("Turn on two-factor authentication"),
        _("Two-factor authentication turned on"),
    )
    actions.register_action(
        "accounts.two_factor_disabled",
        _("Turn off two-factor authentication"),
        _("Two-factor authentication turned off"),
    )
    actions.register_action(
        "accounts.recovery_codes_renewed",
        _("Make new recovery codes"),
        _("New recovery codes made"),
    )
    actions.register_action(
        "accounts.two_factor_reset",
        _("Reset two-factor authentication"),
        _("Two-factor authentication reset"),
    )
    for action, formatter in audit.FORMATTERS.items():
        actions.register_action(action)(formatter)
