"""The admin's sign-in form with lockouts, and the forms of two-factor authentication."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.auth import LoginForm

from masthead.accounts import throttling


class LockoutLoginForm(LoginForm):
    """Wagtail's sign-in form (``WAGTAILADMIN_USER_LOGIN_FORM``), which refuses while the
    account or the network is locked out and says so, before checking the password."""

    def clean(self):
        until = throttling.locked_until(self.cleaned_data.get("username"), self.request)
        if until:
            raise forms.ValidationError(throttling.lockout_message(until), code="locked_out")
        return super().clean()


class CodeForm(forms.Form):
    """A six-digit code from an authenticator app (or, at sign-in, a recovery code)."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "off",
                "spellcheck": "false",
                "autofocus": "",
            }
        ),
    )
