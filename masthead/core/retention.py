"""Personal data kept no longer than needed: core's own part, the readers' and editors'
expired sessions. Each app trims its own data with periodic jobs of its own (see the
README's Security section for the whole list)."""

from importlib import import_module

from django.conf import settings


def clear_expired_sessions():
    """Delete sessions whose expiry has passed, as Django's ``clearsessions`` does (a no-op
    for session engines that expire entries themselves, such as the cache)."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


def years_before(moment, years):
    """``moment`` moved back ``years`` calendar years (29 February becomes the 28th): when
    records kept "for six years" were made, at the latest, to be kept still."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)
