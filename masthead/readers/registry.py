"""Where the apps above ``readers`` plug into a reader's account and data rights.

``readers`` sits below ``newsletter``, ``donations`` and ``shop`` and never imports them.
Each of those registers, from its wiring:

- an **account section** (``register_account_section``): a part of ``/account/`` drawn
  from its own template with its own context (their newsletters, their support, their
  orders);
- its **share of personal data** (``register_personal_data``): how it links its records to
  a Reader once an address is verified, what it exports for them, what it must do at a
  provider before an erasure (cancel a monthly gift), and how it erases them; with the
  models it covers, so a test can tell when a new model holding an address is left out.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from masthead.readers.models import wait_reason, wait_reason_text


class ErasureMustWait(Exception):
    """An erasure cannot go on yet (a provider refused or could not be reached to cancel a
    monthly gift); the reason is shown to the reader and the editors, and it is retried.

    ``reason`` is the sentence as written in the code, marked with ``gettext_noop`` and not
    translated, with the ``values`` of its placeholders (and a ``plural`` chosen by
    ``count``): the request keeps them (``models.wait_reason``) and the sentence is made in
    the language of whoever reads it."""

    def __init__(self, reason, values=None, *, plural="", count=None):
        self.reason = wait_reason(reason, values, plural=plural, count=count)
        super().__init__(self.reason)

    def __str__(self):
        return wait_reason_text(self.reason)


@dataclass(frozen=True)
class AccountSection:
    """One part of the account page: ``template`` rendered with ``context(request, reader)``
    (a dict), in ``order``."""

    name: str
    title: str
    template: str
    context: Callable
    order: int = 100


@dataclass(frozen=True)
class PersonalData:
    """One app's share of what is held about a reader.

    - ``models``: the models (``"app_label.ModelName"``) whose rows about a reader this share
      exports and erases (or deliberately keeps, see ``kept``).
    - ``link(reader)``: link the app's records under the reader's address to the Reader.
    - ``export(reader)``: ``{table name: [row dict, ...]}``, values JSON-serialisable.
    - ``prepare_erasure(reader)``: what must happen elsewhere first (a provider); raises
      ``ErasureMustWait`` when it cannot happen now. Runs before any ``erase``.
    - ``erase(reader)``: delete or anonymise the rows, keeping only what the accounts need.
    - ``kept``: a sentence for the README and the reader: what is kept after erasure and why.
    """

    name: str
    title: str
    models: tuple
    export: Callable
    erase: Callable
    link: Callable = lambda reader: None
    prepare_erasure: Callable = lambda reader: None
    kept: str = ""
    order: int = 100


_sections = {}
_shares = {}


def register_account_section(section):
    _sections[section.name] = section


def account_sections():
    return sorted(_sections.values(), key=lambda section: (section.order, section.name))


def register_personal_data(share):
    _shares[share.name] = share


def personal_data():
    return sorted(_shares.values(), key=lambda share: (share.order, share.name))


def link_records(reader):
    """Have every app link its records under ``reader``'s address to the Reader."""
    for share in personal_data():
        share.link(reader)


@dataclass
class Covered:
    """Models deliberately outside every share, with why (for the export-coverage test)."""

    reasons: dict = field(default_factory=dict)


not_personal = Covered()


def register_not_reader_data(model_label, reason):
    """Declare that ``model_label`` holds an address or a reader link that is not a reader's
    personal data (the outlet's own contact address, an editor's account), with why."""
    not_personal.reasons[model_label] = reason
