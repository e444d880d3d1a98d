"""Everything ``readers`` plugs into elsewhere, connected once from ``ReadersConfig.ready()``:
its own share of readers' data and the models whose addresses are the outlet's own, the
retries of erasures that wait for a payment provider, and the retention jobs."""

from masthead.core.scheduler import register_periodic_job
from masthead.core.slots import register_slot
from masthead.readers import reader_data, retention, tasks
from masthead.readers.registry import register_not_reader_data, register_personal_data

# Erasures that wait on a payment provider are tried again this often (seconds).
ERASURE_RETRY_SECONDS = 15 * 60


def connect():
    """Connect readers to core's registries."""
    register_personal_data(reader_data.share)
    reader_data.register_outlet_addresses(register_not_reader_data)
    register_periodic_job(
        "readers.retry-waiting-erasures", tasks.retry_waiting_erasures, every=ERASURE_RETRY_SECONDS
    )
    register_periodic_job("readers.retention", retention.enforce, every=3600)
    # The header's "Sign in" link, and the script in every page's head that turns it into
    # "Account" for a signed-in reader (masthead.core.slots).
    register_slot("head", "readers/includes/head.html", order=20)
    register_slot("nav", "readers/includes/nav.html", order=30)
