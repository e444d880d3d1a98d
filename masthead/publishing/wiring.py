"""Everything publishing plugs into core, connected once from ``PublishingConfig.ready()``:
the periodic publishing of scheduled pages, its share of the demo, and the page-cache
invalidation for its models."""

from django.apps import apps

from masthead.core.cache_invalidation import invalidate_pages_on_change
from masthead.core.demo import register_demo_part
from masthead.core.scheduler import register_periodic_job
from masthead.publishing.demo.builder import build_demo_part, demo_is_present, remove_demo
from masthead.publishing.services import publish_due_pages


def connect():
    """Register publishing with core's registries."""
    register_periodic_job("publish-due-pages", publish_due_pages)
    register_demo_part(
        "publishing", build=build_demo_part, remove=remove_demo, is_present=demo_is_present
    )
    # Everything publishing stores is on its pages: bylines, sources, corrections, tags.
    invalidate_pages_on_change(*apps.get_app_config("publishing").get_models())
