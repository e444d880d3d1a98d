"""Domains register the handler for their own purpose; payments imports none of them.

# in donations/wiring.py, connect():
register_handler("donation", payment_events.handle_payment_event)
"""

import logging

logger = logging.getLogger(__name__)

_handlers = {}


class UnknownPurpose(LookupError):
    """No domain has registered a handler for this purpose."""


def register_handler(purpose, handler):
    """Send every payment event whose purpose is ``purpose`` to ``handler(event)``."""
    if purpose in _handlers and _handlers[purpose] is not handler:
        raise ValueError(f"A handler for {purpose!r} is already registered.")
    _handlers[purpose] = handler


def dispatch(event):
    """Hand ``event`` to its purpose's handler (inside the caller's transaction)."""
    try:
        handler = _handlers[event.purpose]
    except KeyError as error:
        raise UnknownPurpose(event.purpose) from error
    return handler(event)


def registered_purposes():
    return sorted(_handlers)


def unregister_handler(purpose):
    """Forget the handler for ``purpose`` (for tests that register a handler of their own)."""
    _handlers.pop(purpose, None)
