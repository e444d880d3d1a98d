"""The admin's import form: the kind, the file(s), the importers' options and the dry run.

What an importer reads from its options (each documents its own):

- WordPress: ``section_map`` ({category slug: section title or slug}), ``default_section``,
  ``uploads_dir`` (the old site's ``wp-content/uploads`` folder on this server),
  ``download`` (fetch images by URL), ``create_users`` (admin users, with no password),
  ``include_unapproved_comments``.
- Ghost: ``site`` (its address), ``section_map`` (primary tag slug to section),
  ``default_section``, ``images_dir`` (the Ghost ``content/images`` folder on this server),
  ``download``, and for its members ``newsletter_map`` ({Ghost newsletter: newsletter name
  or slug}) and ``default_newsletter``.
- Substack: ``site``, ``default_section``, ``download``, ``author`` (the byline of every
  post), and ``newsletter_map`` and ``default_newsletter`` for the email list.
"""

from pathlib import Path

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from masthead.newsletter.models import Newsletter
from masthead.publishing.models import SectionPage
from masthead.transfer import importing

KIND_LABELS = {
    "wordpress": _("WordPress (the WXR file from Tools → Export)"),
    "ghost": _("Ghost (the JSON export, and/or the members CSV)"),
    "substack": _("Substack (the export ZIP)"),
    "masthead": _("Masthead (an export archive, into an empty site)"),
}

# The file names each kind accepts, and how to say so.
KIND_SUFFIXES = {
    "wordpress": ((".xml",), _("A WordPress export is an .xml file (Tools → Export).")),
    "ghost": (
        (".json", ".csv"),
        _("A Ghost export is a .json file (Settings → Labs → Export) or a members .csv file."),
    ),
    "substack": ((".zip",), _("A Substack export is a .zip file (Settings → Exports).")),
    "masthead": ((".zip", ".tar.gz", ".tgz"), _("A Masthead export is a .zip or .tar.gz file.")),
}

# Which options each kind takes, as form field names.
KIND_OPTIONS = {
    "wordpress": (
        "section_map",
        "default_section",
        "images_dir",
        "download",
        "create_users",
        "include_unapproved_comments",
    ),
    "ghost": (
        "site",
        "section_map",
        "default_section",
        "images_dir",
        "download",
        "newsletter_map",
        "default_newsletter",
    ),
    "substack": (
        "site",
        "default_section",
        "download",
        "author",
        "newsletter_map",
        "default_newsletter",
    ),
    "masthead": (),
}
# The form's one images-folder field is each importer's own option.
IMAGES_OPTION = {"wordpress": "uploads_dir", "ghost": "images_dir"}


def max_upload_bytes():
    return settings.TRANSFER_MAX_UPLOAD_MB * 1024 * 1024


def parse_mapping(text):
    """Lines of ``old = new`` as a dict; blank lines and lines starting with # are ignored."""
    mapping = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        old, equals, new = line.partition("=")
        if not equals or not old.strip() or not new.strip():
            raise ValidationError(
                _("Line %(number)s is not “old = new”: %(line)s"),
                params={"number": number, "line": line},
            )
        mapping[old.strip()] = new.strip()
    return mapping


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """One or more files; each is checked as a FileField checks one (empty files refused)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        items = data if isinstance(data, (list, tuple)) else [data]
        items = [item for item in items if item]
        if not items:
            raise ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("Import from"), widget=forms.RadioSelect)
    files = MultipleFileField(
        label=_("Export file(s)"),
        help_text=_("Several files only for Ghost: its JSON export and its members CSV."),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run"),
        required=False,
        help_text=_("Go through the whole import and report what it would do, changing nothing."),
    )
    site = forms.URLField(
        label=_("The old site's address"),
        required=False,
        assume_scheme="https",
        help_text=_(
            "Ghost and Substack: e.g. https://news.example.org, so that importing a later "
            "export of the same site updates what this one brings in."
        ),
    )
    section_map = forms.CharField(
        label=_("Categories to sections"),
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "world-news = World\nsport = Sport"}
        ),
        help_text=_(
            "One per line: the old site's category (Ghost: primary tag) slug = a section's "
            "title or slug here. A section that does not exist yet is created."
        ),
    )
    default_section = forms.ModelChoiceField(
        label=_("Default section"),
        queryset=SectionPage.objects.none(),
        required=False,
        empty_label=_("The first section"),
        help_text=_("Where articles from categories not in the mapping go."),
    )
    images_dir = forms.CharField(
        label=_("Images folder on this server"),
        required=False,
        help_text=_(
            "WordPress: the old site's wp-content/uploads folder; Ghost: its content/images "
            "folder, copied to this server. Images not found there are listed in the report."
        ),
    )
    download = forms.BooleanField(
        label=_("Download images by their address"),
        required=False,
        help_text=_("For images not in the folder, when this server may reach the old site."),
    )
    create_users = forms.BooleanField(
        label=_("Create admin users for the authors"),
        required=False,
        help_text=_(
            "WordPress only: users with no password and no group (an author page is "
            "made for every author either way)."
        ),
    )
    include_unapproved_comments = forms.BooleanField(
        label=_("Keep comments held for moderation too"),
        required=False,
        help_text=_("WordPress: approved comments are always kept; spam never is."),
    )
    author = forms.CharField(
        label=_("Byline of every post"),
        required=False,
        max_length=255,
        help_text=_("Substack: its export does not say who wrote each post."),
    )
    newsletter_map = forms.CharField(
        label=_("Lists to newsletters"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Weekly letter = weekly"}),
        help_text=_(
            "One per line: the old site's newsletter or list = a newsletter's name or slug here."
        ),
    )
    default_newsletter = forms.ModelChoiceField(
        label=_("Default newsletter"),
        queryset=Newsletter.objects.none(),
        required=False,
        help_text=_("Subscribers of lists not in the mapping join this newsletter."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = importing.importer_kinds()
        self.fields["kind"].choices = [(kind, KIND_LABELS.get(kind, kind)) for kind in kinds]
        if len(kinds) == 1:
            self.fields["kind"].initial = kinds[0]
        self.fields["default_section"].queryset = SectionPage.objects.order_by("path")
        self.fields["default_newsletter"].queryset = Newsletter.objects.order_by(
            "sort_order", "name"
        )

    def clean_section_map(self):
        return parse_mapping(self.cleaned_data["section_map"])

    def clean_newsletter_map(self):
        return parse_mapping(self.cleaned_data["newsletter_map"])

    def clean_images_dir(self):
        text = self.cleaned_data["images_dir"].strip()
        if not text:
            return ""
        folder = Path(text)
        if not folder.is_absolute():
            raise ValidationError(_("Give the folder's full path, starting with /."))
        if not folder.is_dir():
            raise ValidationError(
                _("There is no folder %(path)s on this server."), params={"path": text}
            )
        return str(folder)

    def clean(self):
        cleaned = super().clean()
        kind, files = cleaned.get("kind"), cleaned.get("files")
        if not kind or not files:
            return cleaned
        suffixes, explanation = KIND_SUFFIXES.get(kind, ((), ""))
        for upload in files:
            if suffixes and not upload.name.lower().endswith(suffixes):
                self.add_error(
                    "files",
                    ValidationError(
                        _("%(name)s is not an export of this kind. %(explanation)s"),
                        params={"name": upload.name, "explanation": explanation},
                    ),
                )
        if len(files) > 1 and kind != "ghost":
            self.add_error("files", _("Give one file for this kind of import."))
        total = sum(upload.size for upload in files)
        if total > max_upload_bytes():
            self.add_error("files", oversize_message())
        return cleaned

    def importer_options(self):
        """The options the chosen importer takes, leaving out those left empty."""
        kind = self.cleaned_data["kind"]
        options = {}
        for name in KIND_OPTIONS.get(kind, ()):
            value = self.cleaned_data.get(name)
            if value in (None, "", {}, False):
                continue
            if name == "images_dir":
                options[IMAGES_OPTION[kind]] = value
            elif name in ("default_section", "default_newsletter"):
                options[name] = value.slug
            else:
                options[name] = value
        return options


def oversize_message():
    return _("The upload is larger than the %(limit)s MiB an import may be.") % {
        "limit": settings.TRANSFER_MAX_UPLOAD_MB
    }
