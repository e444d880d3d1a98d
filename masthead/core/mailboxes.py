"""Finding the rows whose address reaches one mailbox (``ratelimit.mailbox``): any case, any
``+tag``, and any dots in the local part where the provider ignores them, across the domain's
aliases (gmail.com and googlemail.com). A reader's records are found this way for their
account, the copy of their data and its erasure, in every app that keeps an address.
"""

import re

from masthead.core.ratelimit import DOTLESS_DOMAINS, mailbox


def mailbox_regex(box):
    """A regular expression matching every address that reaches mailbox ``box``. It narrows
    the search in the database; ``mailbox`` itself decides."""
    local, _at, domain = box.rpartition("@")
    domains = [alias for alias, canonical in DOTLESS_DOMAINS.items() if canonical == domain]
    if domains:
        local_pattern = r"\.*" + "".join(re.escape(char) + r"\.*" for char in local)
    else:
        domains = [domain]
        local_pattern = re.escape(local)
    domain_pattern = "|".join(re.escape(name) for name in domains)
    return rf"^{local_pattern}(\+[^@]*)?@({domain_pattern})$"


def rows_reaching(queryset, field, address):
    """The rows of ``queryset`` whose address in ``field`` reaches the mailbox ``address``
    reaches (``address`` may be the mailbox itself)."""
    box = mailbox(address)
    if "@" not in box:
        return []
    candidates = queryset.filter(**{f"{field}__iregex": mailbox_regex(box)})
    return [row for row in candidates if mailbox(getattr(row, field)) == box]


def pks_reaching(queryset, field, address):
    """The primary keys of ``rows_reaching``."""
    return [row.pk for row in rows_reaching(queryset, field, address)]
