"""Money as integer minor units plus an ISO currency code, never a float.

``parse_amount`` turns what a reader typed ("12.50", "£12", "1,000") into pence with a clear
message for anything else; ``validate_amount`` checks an amount that arrives as a number
(from a form, a URL or a provider) before it goes anywhere near a checkout;
``format_money`` is what the ``money`` template filter shows.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Currency:
    """A currency Masthead takes: its ISO code, symbol and number of decimal places."""

    code: str
    symbol: str
    exponent: int = 2


CURRENCIES = {
    "GBP": Currency("GBP", "£"),
    "EUR": Currency("EUR", "€"),
    "USD": Currency("USD", "$"),
}

# Stripe's ceiling for one charge in a two-decimal currency (999,999.99).
MAX_AMOUNT = 99_999_999
# Stripe refuses charges below these (in minor units).
MIN_CHARGE = {"GBP": 30, "EUR": 50, "USD": 50}


class InvalidAmount(ValueError):
    """An amount or currency that cannot be charged; the message says why, for the reader."""


def validate_currency(code):
    """Return the upper-case ISO code of a supported currency, or raise InvalidAmount."""
    if not isinstance(code, str) or code.strip().upper() not in CURRENCIES:
        raise InvalidAmount(
            _("%(currency)s is not a currency we accept (use GBP, EUR or USD).")
            % {"currency": str(code)[:10] or _("An empty value")}
        )
    return code.strip().upper()


def validate_amount(amount, currency, *, minimum=None, maximum=MAX_AMOUNT):
    """Check an amount in minor units: a whole number (not a bool or float) between the
    currency's minimum charge and ``maximum``. Returns it; raises InvalidAmount."""
    currency = validate_currency(currency)
    if minimum is None:
        minimum = MIN_CHARGE[currency]
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidAmount(_("The amount must be a whole number of pence or cents."))
    if amount < minimum:
        raise InvalidAmount(
            _("The amount must be at least %(minimum)s.")
            % {"minimum": format_money(minimum, currency)}
        )
    if amount > maximum:
        raise InvalidAmount(
            _("The amount must be at most %(maximum)s.")
            % {"maximum": format_money(maximum, currency)}
        )
    return amount


_AMOUNT_PATTERN = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$|^\d+(\.\d+)?$|^\.\d+$")


def parse_amount(text, currency, *, minimum=None, maximum=MAX_AMOUNT):
    """Turn a typed amount ("12", "12.5", "12.50", "£1,000") into minor units (1250).

    Refuses, with a message a reader understands: empty input, words, negatives, NaN and
    infinity, exponents, more decimal places than the currency has, and amounts outside
    ``minimum``..``maximum``.
    """
    currency_info = CURRENCIES[validate_currency(currency)]
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    cleaned = text.strip()
    if cleaned.startswith(currency_info.symbol):
        cleaned = cleaned[len(currency_info.symbol) :].strip()
    if not cleaned:
        raise InvalidAmount(_("Please enter an amount."))
    if cleaned.startswith("-"):
        raise InvalidAmount(_("The amount cannot be negative."))
    # Bounded before Decimal sees it, so a megabyte of digits costs nothing.
    if len(cleaned) > 20 or not _AMOUNT_PATTERN.match(cleaned):
        raise InvalidAmount(_("Please enter an amount in numbers, like 12 or 12.50."))
    try:
        value = Decimal(cleaned.replace(",", ""))
    except InvalidOperation as error:
        raise InvalidAmount(_("Please enter an amount in numbers, like 12 or 12.50.")) from error
    minor = value.scaleb(currency_info.exponent)
    if minor != minor.to_integral_value():
        raise InvalidAmount(
            _("Please use at most %(places)d decimal places.") % {"places": currency_info.exponent}
        )
    return validate_amount(int(minor), currency_info.code, minimum=minimum, maximum=maximum)


def format_money(amount, currency):
    """Show minor units as the reader expects: 1250, "GBP" gives "£12.50"; whole amounts
    keep their pence ("£5.00") so a column of figures lines up."""
    info = CURRENCIES.get(str(currency).upper())
    if info is None or isinstance(amount, bool) or not isinstance(amount, int):
        return ""
    sign = "-" if amount < 0 else ""
    units, minor = divmod(abs(amount), 10**info.exponent)
    return f"{sign}{info.symbol}{units:,}.{minor:0{info.exponent}d}"
