"""Template context shared by every reader-facing page."""

from django.utils.functional import SimpleLazyObject
from wagtail.models import Site

from masthead.core.fragments import site_fragment
from masthead.core.models import SiteSettings
from masthead.publishing.models import SectionPage, StandardPage


def site_navigation(request):
    """The site's settings, and the sections and plain pages for the header and footer of the
    current site."""
    site = Site.find_for_request(request) if request is not None else None
    if site is None:
        return {}
    root = site.root_page
    # The same for every reader and on every page: looked up once per generation per process
    # (at most a minute), and only by templates that show them (lazy, as the querysets were).
    # Most uses sit in fragments rendered once per publication, so most requests need none.
    return {
        "site_settings": SimpleLazyObject(lambda: SiteSettings.for_request(request)),
        "site_root": root,
        "nav_sections": SimpleLazyObject(
            lambda: site_fragment(
                ("publishing:nav-sections", root.pk),
                lambda: tuple(SectionPage.objects.live().public().child_of(root).in_menu()),
                only_editors_change=True,
            )
        ),
        "footer_pages": SimpleLazyObject(
            lambda: site_fragment(
                ("publishing:footer-pages", root.pk),
                lambda: tuple(StandardPage.objects.live().public().child_of(root)),
                only_editors_change=True,
            )
        ),
    }
