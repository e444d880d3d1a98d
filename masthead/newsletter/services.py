"""Everything that changes newsletter state: sign-up, confirmation, preferences, sending."""


def handle_tracking_event(sender, event, esp_name, **kwargs):
    """Suppress addresses that hard-bounce or complain (anymail's normalised webhook event)."""
    raise NotImplementedError
