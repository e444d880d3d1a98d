"""Everything ``audience`` plugs into elsewhere, connected once from ``AudienceConfig.ready()``:
the periodic roll-up of raw hits and the deletion of old ones."""

from masthead.audience.buffer import drain_redis
from masthead.audience.retention import RETENTION_SECONDS, delete_old_hits
from masthead.audience.rollup import ROLLUP_SECONDS, roll_up_new_hits
from masthead.core.scheduler import register_periodic_job
from masthead.core.slots import register_slot


def connect():
    """Connect audience to core's registries."""
    # With AUDIENCE_REDIS_URL, the hits the web processes pushed to Redis (each pass).
    register_periodic_job("audience.write-hits-from-redis", drain_redis)
    register_periodic_job("audience.roll-up", roll_up_new_hits, every=ROLLUP_SECONDS)
    register_periodic_job("audience.delete-old-hits", delete_old_hits, every=RETENTION_SECONDS)
    # The counting script in every page's head, and the pixel for readers without scripts
    # (masthead.core.slots).
    register_slot("head", "audience/includes/head.html", order=30)
    register_slot("body_start", "audience/includes/body_start.html")
