"""Forms for readers (sign-up, preferences) and editors (CSV import)."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from masthead.newsletter import tokens
from masthead.newsletter.models import Newsletter

HONEYPOT_FIELD = "website"


class NewsletterChoiceField(forms.ModelMultipleChoiceField):
    """Newsletters as checkboxes, labelled with their names."""

    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return obj.name


class SignupForm(forms.Form):
    """The reader's sign-up, posted from any (cached) page's form to /newsletter/subscribe/.

    Besides the reader's fields it carries a honeypot that people never see and the signed
    time the form was rendered; :meth:`is_probably_spam` and :meth:`is_stale` judge them.
    """

    email = forms.EmailField(label=_("Email address"), max_length=254)
    name = forms.CharField(label=_("Your name (optional)"), max_length=150, required=False)
    newsletters = NewsletterChoiceField(
        label=_("Newsletters"),
        queryset=Newsletter.objects.filter(is_public=True),
        error_messages={"required": _("Choose at least one newsletter.")},
    )
    source = forms.CharField(max_length=300, required=False)
    rendered = forms.CharField(max_length=200, required=False)
    website = forms.CharField(max_length=200, required=False)

    def form_age(self):
        """Seconds since the form was rendered, or None if its timestamp is not ours."""
        return tokens.form_age_seconds(self.data.get("rendered", ""))

    def is_stale(self):
        """The form's timestamp is missing, not ours, or too old: ask for a fresh form."""
        age = self.form_age()
        return age is None or age > settings.NEWSLETTER_FORM_MAX_AGE

    def is_probably_spam(self):
        """The honeypot was filled in, or the form came back faster than a person types."""
        if self.data.get(HONEYPOT_FIELD, "").strip():
            return True
        age = self.form_age()
        return age is not None and age < settings.NEWSLETTER_FORM_MIN_SECONDS


class PreferencesForm(forms.Form):
    """A subscriber's own choices on their preferences page."""

    name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    newsletters = NewsletterChoiceField(
        label=_("Newsletters you receive"), queryset=Newsletter.objects.none(), required=False
    )

    def __init__(self, *args, offered=None, **kwargs):
        super().__init__(*args, **kwargs)
        if offered is not None:
            self.fields["newsletters"].queryset = offered


class SubscriberImportForm(forms.Form):
    """An editor's CSV upload of subscribers."""

    csv_file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8 CSV whose first line names the columns: email, name, newsletters. "
            "Separate several newsletters (slugs or names) with semicolons."
        ),
    )
    default_newsletters = forms.ModelMultipleChoiceField(
        label=_("Newsletters for rows that name none"),
        queryset=Newsletter.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    already_confirmed = forms.BooleanField(
        label=_("These people already confirmed their subscription"),
        required=False,
        help_text=_(
            "Tick only if you hold proof that each person opted in and confirmed (for "
            "example, an export from your previous newsletter service). Otherwise they are "
            "sent a confirmation email and receive nothing until they confirm."
        ),
    )

    max_bytes = 10 * 1024 * 1024

    def clean_csv_file(self):
        upload = self.cleaned_data["csv_file"]
        if upload.size > self.max_bytes:
            raise forms.ValidationError(_("The file is larger than 10 MB; split it."))
        raw = upload.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise forms.ValidationError(
                _("The file is not UTF-8 text. Save it as 'CSV UTF-8' and try again.")
            ) from error
        self.cleaned_data["csv_text"] = text
        return upload
