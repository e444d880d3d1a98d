"""The reader's forms: the address to sign in with, the code from the email, their name."""

from django import forms
from django.utils.translation import gettext_lazy as _

from masthead.readers.sign_in import CODE_DIGITS, normalise_code


class SignInForm(forms.Form):
    """The address a reader wants to sign in with, and where to go afterwards."""

    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        error_messages={
            "required": _("Enter your email address."),
            "invalid": _("Enter a whole email address, like name@example.com."),
        },
    )
    next = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)


class CodeForm(forms.Form):
    """The 6-digit code from the sign-in email, as typed (spaces and dashes allowed)."""

    code = forms.CharField(
        label=_("The 6-digit code from the email"),
        max_length=20,
        error_messages={"required": _("Enter the code from the email.")},
    )

    def clean_code(self):
        code = normalise_code(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError(
                _("The code is %(digits)d digits long, like 123456."),
                params={"digits": CODE_DIGITS},
            )
        return code


class DetailsForm(forms.Form):
    """What a reader may change about themselves here: their name."""

    name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        required=False,
        help_text=_("How we address you in emails. Leave it empty if you prefer."),
        error_messages={"max_length": _("Keep your name under %(limit_value)d characters.")},
    )

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())
