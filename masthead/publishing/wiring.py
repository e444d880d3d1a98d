"""Everything publishing plugs into core, connected once from ``PublishingConfig.ready()``:
the periodic publishing of scheduled pages, its share of the demo, and the page-cache
invalidation for its models."""

from django.apps import apps

from masthead.core.cache_invalidation import invalidate_pages_on_change
from masthead.core.demo import register_demo_part
from masthead.core.scheduler import register_periodic_job
from masthead.core.slots import register_slot
from masthead.publishing.demo.builder import build_demo_part, demo_is_present, remove_demo
from masthead.publishing.services import publish_due_pages

SEARCH_FORM = "publishing/includes/search_form.html"


def connect():
    """Register publishing with core's registries."""
    register_periodic_job("publish-due-pages", publish_due_pages)
    register_demo_part(
        "publishing", build=build_demo_part, remove=remove_demo, is_present=demo_is_present
    )
    # Everything publishing stores is on its pages: bylines, sources, corrections, tags.
    invalidate_pages_on_change(*apps.get_app_config("publishing").get_models())
    # Its parts of the pages core lays out: the head's metadata and feed links, the search
    # link and box, and the footer's corrections and feed links (masthead.core.slots).
    register_slot("head", "publishing/includes/meta.html", order=40)
    register_slot("nav", "publishing/includes/nav.html", order=10)
    register_slot("footer_links", "publishing/includes/footer_links.html")
    register_slot(
        "footer_end",
        SEARCH_FORM,
        context={"search_id": "footer-search", "search_class": "site-footer__search"},
    )
    register_slot("not_found", SEARCH_FORM, context={"search_id": "notfound-q"})
