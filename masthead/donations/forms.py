"""The donate form and the donor's own forms, each checked on the server against the
outlet's settings: the amount charged is never taken on trust from the page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from masthead.donations.models import Donation
from masthead.payments.money import InvalidAmount, format_money, parse_amount

OTHER = "other"


class DonateForm(forms.Form):
    """A reader's gift: how often, how much, whether to cover card fees, and how (or
    whether) to be credited. The newsletter box is separate and unticked; giving never
    depends on it."""

    frequency = forms.ChoiceField(
        label=_("How often"),
        choices=Donation.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose one-off or monthly.")},
    )
    amount = forms.CharField(label=_("Amount"), max_length=20, required=False)
    other_amount = forms.CharField(label=_("Other amount"), max_length=20, required=False)
    currency = forms.CharField(max_length=3, widget=forms.HiddenInput)
    cover_fees = forms.BooleanField(label=_("Cover the card fees"), required=False)
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("For your receipt, and to manage your support."),
    )
    public_name = forms.CharField(
        label=_("Name to show with your gift (optional)"), max_length=80, required=False
    )
    message = forms.CharField(
        label=_("A message to the newsroom (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    anonymous = forms.BooleanField(label=_("Keep my gift anonymous"), required=False)
    newsletter_opt_in = forms.BooleanField(required=False)

    def __init__(self, *args, config, **kwargs):
        super().__init__(*args, **kwargs)
        self.config = config

    def clean_currency(self):
        currency = self.cleaned_data["currency"].strip().upper()
        if currency != self.config.currency:
            raise forms.ValidationError(
                _("Donations are taken in %(currency)s; please reload the page and try again.")
                % {"currency": self.config.currency}
            )
        return currency

    def clean(self):
        cleaned = super().clean()
        frequency = cleaned.get("frequency")
        if frequency is None or "currency" not in cleaned:
            return cleaned
        choice = (cleaned.get("amount") or "").strip()
        typed = (cleaned.get("other_amount") or "").strip()
        if choice == OTHER or (not choice and typed):
            try:
                cleaned["amount_pence"] = parse_amount(
                    typed,
                    self.config.currency,
                    minimum=self.config.minimum_amount,
                    maximum=self.config.maximum_amount,
                )
            except InvalidAmount as error:
                self.add_error("other_amount", str(error))
        elif not choice:
            self.add_error("amount", _("Choose an amount, or enter your own."))
        elif not choice.isdigit() or int(choice) not in self.config.suggested_amounts(frequency):
            self.add_error(
                "amount",
                _("That is not one of the amounts shown; choose one, or enter your own."),
            )
        else:
            cleaned["amount_pence"] = int(choice)
        cleaned["anonymous"] = cleaned.get("anonymous") or not cleaned.get("public_name")
        if cleaned["anonymous"]:
            cleaned["public_name"] = ""
        return cleaned


class ManageLinkForm(forms.Form):
    """The address a donor wants their sign-in link sent to."""

    email = forms.EmailField(label=_("Your email address"), max_length=254)


class ChangeAmountForm(forms.Form):
    """A new monthly amount, typed as the donor would say it ("7.50")."""

    amount = forms.CharField(label=_("New monthly amount"), max_length=20)

    def __init__(self, *args, config, currency, **kwargs):
        super().__init__(*args, **kwargs)
        self.config = config
        self.currency = currency
        self.fields["amount"].help_text = _("Between %(minimum)s and %(maximum)s.") % {
            "minimum": format_money(config.minimum_amount, currency),
            "maximum": format_money(config.maximum_amount, currency),
        }

    def clean_amount(self):
        try:
            return parse_amount(
                self.cleaned_data["amount"],
                self.currency,
                minimum=self.config.minimum_amount,
                maximum=self.config.maximum_amount,
            )
        except InvalidAmount as error:
            raise forms.ValidationError(str(error)) from error
