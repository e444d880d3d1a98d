"""Who a reader is: one Reader per mailbox, made or found when an address is verified.

An address is verified when its owner confirms a newsletter sign-up, pays for a gift or an
order, or signs in. ``verified`` finds or makes the Reader and asks every app to link its
records with that address (``registry``), so a reader who gave three times and subscribed
once is one person from then on.
"""

import hashlib
import hmac

from django.conf import settings
from django.db import IntegrityError, transaction

from masthead.core.ratelimit import mailbox
from masthead.readers import registry
from masthead.readers.models import Reader


def normalise(address):
    """An address as a Reader keeps it: trimmed and lower case."""
    return (address or "").strip().lower()


def address_hash(address):
    """A keyed hash of an address's mailbox: what is kept of an erased reader's address, so a
    later sign-up or import can be recognised and refused without the address being stored.
    Keyed with READERS_HASH_KEY (by default derived from SECRET_KEY): without the key the
    hash cannot be tested against a list of addresses."""
    key = settings.READERS_HASH_KEY.encode()
    return hmac.new(key, mailbox(address).encode(), hashlib.sha256).hexdigest()


def find(address):
    """The Reader whose mailbox ``address`` reaches, or None."""
    if not address:
        return None
    return Reader.objects.filter(mailbox=mailbox(address)).first()


def verified(address, *, name=""):
    """The Reader for a just-verified ``address``, made if new, with every app's records for
    that address linked to it. Safe under concurrency: two requests verifying one address at
    once get the same Reader."""
    box = mailbox(address)
    reader = Reader.objects.filter(mailbox=box).first()
    if reader is None:
        try:
            with transaction.atomic():
                reader = Reader.objects.create(
                    email=normalise(address), mailbox=box, name=name[:150]
                )
        except IntegrityError:
            reader = Reader.objects.get(mailbox=box)
    elif name and not reader.name:
        reader.name = name[:150]
        reader.save(update_fields=["name"])
    registry.link_records(reader)
    return reader


def transient(address):
    """A Reader for an address that was never verified (an editor's search), unsaved: good
    for gathering or erasing what is held under the address, never stored."""
    return find(address) or Reader(email=normalise(address), mailbox=mailbox(address))
