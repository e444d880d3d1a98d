"""Other income the funding-transparency page counts besides readers' gifts (the shop's
margin, for one). Apps register a source in their wiring; the donations app adds them up
without knowing which apps they come from."""

from dataclasses import dataclass


@dataclass(frozen=True)
class IncomeSource:
    """``by_month(start, end, currency)`` returns the income earned in ``[start, end)`` as
    ``{first day of the month (in the site's time zone): minor units}``, months without
    income left out, with one query however many months the range spans (a chart of three
    years costs what one month does). ``label`` is what the funding page calls it."""

    name: str
    label: str
    by_month: object

    def between(self, start, end, currency):
        """The income earned in ``[start, end)``, in minor units."""
        return sum(self.by_month(start, end, currency).values())


_sources = {}


def register_income_source(name, label, by_month):
    """Count ``by_month``'s income on the funding page, as a line called ``label``."""
    _sources[name] = IncomeSource(name, label, by_month)


def income_sources():
    return list(_sources.values())
