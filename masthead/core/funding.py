"""Other income the funding-transparency page counts besides readers' gifts (the shop's
margin, for one). Apps register a source in ``AppConfig.ready()``; the donations app adds
them up without knowing which apps they come from."""

from dataclasses import dataclass


@dataclass(frozen=True)
class IncomeSource:
    """``between(start, end, currency)`` returns the income, in minor units, earned in
    ``[start, end)``; ``label`` is what the funding page calls it."""

    name: str
    label: str
    between: object


_sources = {}


def register_income_source(name, label, between):
    _sources[name] = IncomeSource(name, label, between)


def income_sources():
    return list(_sources.values())
