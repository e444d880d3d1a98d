"""Template context shared by every reader-facing page."""

from wagtail.models import Site


def site_navigation(request):
    """The sections and plain pages for the header and footer of the current site."""
    from masthead.publishing.models import SectionPage, StandardPage

    site = Site.find_for_request(request) if request is not None else None
    if site is None:
        return {}
    root = site.root_page
    return {
        "site_root": root,
        "nav_sections": SectionPage.objects.live().public().child_of(root).in_menu(),
        "footer_pages": StandardPage.objects.live().public().child_of(root),
    }
