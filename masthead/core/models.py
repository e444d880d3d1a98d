"""Site-wide settings an outlet's editors change in the admin."""

from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from masthead.core.links import validate_link

SOCIAL_NETWORKS = [
    ("x", "X"),
    ("facebook", "Facebook"),
    ("instagram", "Instagram"),
    ("bluesky", "Bluesky"),
    ("mastodon", "Mastodon"),
    ("threads", "Threads"),
    ("youtube", "YouTube"),
    ("tiktok", "TikTok"),
]


@register_setting(icon="site")
class SiteSettings(BaseSiteSetting):
    """The outlet's identity: name, logo, strapline, contact and social accounts.

    Shown in the header and footer of every page, in feeds and in structured data; the
    security contact is published as /.well-known/security.txt.
    """

    outlet_name = models.CharField(_("outlet name"), max_length=100, default="Masthead")
    strapline = models.CharField(_("strapline"), max_length=200, blank=True)
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Shown in the header and used as the publisher logo in structured data."),
    )
    description = models.TextField(
        _("description"),
        blank=True,
        help_text=_("One or two sentences about the outlet, for search engines and feeds."),
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    founding_year = models.PositiveIntegerField(_("founding year"), null=True, blank=True)

    x = models.URLField("X", blank=True)
    facebook = models.URLField("Facebook", blank=True)
    instagram = models.URLField("Instagram", blank=True)
    bluesky = models.URLField("Bluesky", blank=True)
    mastodon = models.URLField("Mastodon", blank=True)
    threads = models.URLField("Threads", blank=True)
    youtube = models.URLField("YouTube", blank=True)
    tiktok = models.URLField("TikTok", blank=True)

    newsletter_url = models.CharField(
        _("newsletter sign-up link"),
        max_length=255,
        blank=True,
        validators=[validate_link],
        help_text=_("Where the 'sign up to our newsletter' calls to action point."),
    )
    donate_url = models.CharField(
        _("donate link"),
        max_length=255,
        blank=True,
        validators=[validate_link],
        help_text=_("Where the 'support us' calls to action point."),
    )
    shop_url = models.CharField(
        _("shop link"), max_length=255, blank=True, validators=[validate_link]
    )

    security_contact_email = models.EmailField(
        _("security contact email"),
        blank=True,
        help_text=_(
            "Where people report security problems with this site; published in "
            "/.well-known/security.txt (with no contact set, there is none)."
        ),
    )
    security_contact_url = models.URLField(
        _("security contact page"),
        blank=True,
        validators=[URLValidator(schemes=["https"])],
        help_text=_("An https:// page or form for reporting security problems."),
    )
    security_policy_url = models.URLField(
        _("security policy"),
        blank=True,
        validators=[URLValidator(schemes=["https"])],
        help_text=_("An https:// page saying how reports are handled."),
    )

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("outlet_name"),
                FieldPanel("strapline"),
                FieldPanel("logo"),
                FieldPanel("description"),
                FieldPanel("contact_email"),
                FieldPanel("founding_year"),
            ],
            heading=_("Identity"),
        ),
        MultiFieldPanel(
            [FieldPanel(field) for field, _label in SOCIAL_NETWORKS],
            heading=_("Social accounts"),
        ),
        MultiFieldPanel(
            [FieldPanel("newsletter_url"), FieldPanel("donate_url"), FieldPanel("shop_url")],
            heading=_("Calls to action"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("security_contact_email"),
                FieldPanel("security_contact_url"),
                FieldPanel("security_policy_url"),
            ],
            heading=_("Security contact"),
        ),
    ]

    class Meta:
        verbose_name = _("site settings")

    def social_links(self):
        """The configured social accounts as (network key, label, url), in display order."""
        return [
            (key, label, getattr(self, key)) for key, label in SOCIAL_NETWORKS if getattr(self, key)
        ]
