"""Money: typed amounts into minor units, validation of amounts from elsewhere, and the
``money`` template filter."""

import pytest
from django.template import Context, Template

from masthead.payments.money import InvalidAmount, format_money, parse_amount, validate_amount


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("12.50", "GBP", 1250),
        ("12", "GBP", 1200),
        ("12.5", "GBP", 1250),
        (" £12.50 ", "GBP", 1250),
        ("1,000", "GBP", 100_000),
        ("0.30", "GBP", 30),
        (".50", "EUR", 50),
        ("999999.99", "USD", 99_999_999),
        ("12.50", "gbp", 1250),
    ],
)
def test_parse_amount_accepts_what_readers_type(text, currency, expected):
    assert parse_amount(text, currency) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Please enter an amount."),
        (None, "Please enter an amount."),
        ("-5", "The amount cannot be negative."),
        ("12.505", "Please use at most 2 decimal places."),
        ("twelve", "Please enter an amount in numbers, like 12 or 12.50."),
        ("NaN", "Please enter an amount in numbers, like 12 or 12.50."),
        ("inf", "Please enter an amount in numbers, like 12 or 12.50."),
        ("1e5", "Please enter an amount in numbers, like 12 or 12.50."),
        ("12,50", "Please enter an amount in numbers, like 12 or 12.50."),
        ("1" * 5000, "Please enter an amount in numbers, like 12 or 12.50."),
        ("1000000", "The amount must be at most £999,999.99."),
        ("0.10", "The amount must be at least £0.30."),
        ("0", "The amount must be at least £0.30."),
        ("$5", "Please enter an amount in numbers, like 12 or 12.50."),
    ],
)
def test_parse_amount_refuses_with_a_clear_message(text, message):
    with pytest.raises(InvalidAmount) as refusal:
        parse_amount(text, "GBP")
    assert str(refusal.value) == message


def test_parse_amount_uses_each_currencys_minimum():
    assert parse_amount("0.30", "GBP") == 30
    with pytest.raises(InvalidAmount, match=r"at least €0\.50"):
        parse_amount("0.30", "EUR")


@pytest.mark.parametrize("currency", ["JPY", "", "GB", "£", None, 826])
def test_unsupported_currency_is_refused(currency):
    with pytest.raises(InvalidAmount, match="not a currency we accept"):
        parse_amount("12", currency)


@pytest.mark.parametrize("value", [12.5, "1250", True, None, -1, 10**8])
def test_validate_amount_refuses_tampered_values(value):
    with pytest.raises(InvalidAmount):
        validate_amount(value, "GBP")


def test_validate_amount_returns_good_values():
    assert validate_amount(1250, "GBP") == 1250
    assert validate_amount(1, "GBP", minimum=1) == 1


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (1250, "GBP", "£12.50"),
        (500, "GBP", "£5.00"),
        (5, "EUR", "€0.05"),
        (123_456_789, "USD", "$1,234,567.89"),
        (-250, "GBP", "-£2.50"),
        (0, "gbp", "£0.00"),
        (12.5, "GBP", ""),
        (1250, "JPY", ""),
    ],
)
def test_format_money(amount, currency, shown):
    assert format_money(amount, currency) == shown


def test_money_filter_in_templates(settings):
    settings.PAYMENTS_CURRENCY = "GBP"
    template = Template("{% load money %}{{ a|money }} {{ b|money:'EUR' }} [{{ c|money }}]")
    assert template.render(Context({"a": 1250, "b": 999, "c": "x"})) == "£12.50 €9.99 []"
