"""Connections to Django's and anymail's own events (the newsletter's logic lives in services)."""


def connect():
    """Bounce and complaint webhooks arrive through anymail's tracking signal."""
    from anymail.signals import tracking

    from masthead.newsletter.services import handle_tracking_event

    tracking.connect(handle_tracking_event, dispatch_uid="masthead-newsletter-tracking")
