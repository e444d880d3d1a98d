"""Administrators resetting another person's two-factor authentication, from the users
listing (through the ``ResetTwoFactor`` action, which checks and logs)."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import Button

from masthead.accounts import two_factor
from masthead.accounts.actions import ResetTwoFactor
from masthead.core.actions import ActionNotPermitted


class ResetTwoFactorView(WagtailAdminTemplateMixin, TemplateView):
    """Ask, then reset a person's authenticator app and recovery codes."""

    template_name = "accounts/reset.html"
    page_title = _("Reset two-factor authentication")
    header_icon = "key"

    def dispatch(self, request, pk):
        self.target = get_object_or_404(get_user_model(), pk=pk)
        self.action = ResetTwoFactor(self.target, request.user)
        self.action.check()
        return super().dispatch(request, pk)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("wagtailusers_users:index"), "label": _("Users")},
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            target=self.target, enrolled=two_factor.has_two_factor(self.target), **kwargs
        )

    def post(self, request, pk):
        self.action.execute()
        messages.success(
            request,
            _("Two-factor authentication of '%(name)s' reset.")
            % {"name": self.target.get_username()},
        )
        return redirect("wagtailusers_users:index")


def reset_two_factor_buttons(user, request_user):
    """The users listing's "Reset two-factor authentication" entry, for those who may."""
    try:
        ResetTwoFactor(user, request_user).check()
    except ActionNotPermitted:
        return []
    return [
        Button(
            _("Reset two-factor authentication"),
            url=reverse("accounts_2fa_reset", args=[user.pk]),
            icon_name="key",
            priority=60,
        )
    ]
