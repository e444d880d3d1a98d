"""Personal data kept no longer than needed: core's own part, the readers' and editors'
expired sessions. Each app trims its own data with periodic jobs of its own (see the
README's Security section for the whole list)."""

from importlib import import_module

from django.conf import settings


def clear_expired_sessions():
    """Delete sessions whose expiry has passed, as Django's ``clearsessions`` does (a no-op
    for session engines that expire entries themselves, such as the cache)."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
