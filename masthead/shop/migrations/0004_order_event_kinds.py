"""An order's history is kept as a kind of event and its particulars, and the sentence is
made when it is shown (in the language of whoever reads it), instead of a sentence
translated when it was written.

Existing history lines are read back from the English sentences the shop wrote into their
kind and particulars (amounts in minor units of the order's currency). A line that reads as
none of them (written in another language, or by hand) is kept word for word as a note.
Going back writes each note's text, and for the other kinds the kind and its particulars.
"""

import json
import re
from datetime import UTC, datetime

from django.db import migrations, models

SYMBOLS = {"£": "GBP", "€": "EUR", "$": "USD"}


def money(text, default_currency):
    """ "£1,052.10" as (105210, "GBP"); the currency from its symbol, else the default."""
    found = re.fullmatch(r"(-?)([^\d\s-]*)([\d,]+)\.(\d+)", text.strip())
    if found is None:
        raise ValueError(text)
    sign, symbol, units, minor = found.groups()
    amount = int(units.replace(",", "")) * 10 ** len(minor) + int(minor)
    return (-amount if sign else amount), SYMBOLS.get(symbol, default_currency)


def items(text):
    """ "2 x Tee — S, 1 x Mug" as [[2, "Tee — S"], [1, "Mug"]]."""
    parsed = []
    for part in re.split(r", (?=\d+ x )", text):
        found = re.fullmatch(r"(\d+) x (.+)", part)
        if found is None:
            raise ValueError(text)
        parsed.append([int(found.group(1)), found.group(2)])
    return parsed


def _paid(match, currency):
    amount, currency = money(match["amount"], currency)
    return {
        "amount": amount,
        "currency": currency,
        "provider": "" if match["provider"] == "provider" else match["provider"],
        "payment": "" if match["payment"] == "-" else match["payment"],
    }


def _settling(match, currency):
    held_until = datetime.strptime(match["date"], "%d %b %Y").replace(hour=12, tzinfo=UTC)
    return {"held_until": held_until.isoformat()}


def _mismatch(match, currency):
    paid, paid_currency = money(match["paid"], currency)
    total, currency = money(match["total"], currency)
    return {"paid": paid, "paid_currency": paid_currency, "total": total, "currency": currency}


def _amount(match, currency):
    amount, currency = money(match["amount"], currency)
    return {"amount": amount, "currency": currency}


def _dispute(match, currency):
    return {**_amount(match, currency), "reason": match["reason"] or ""}


def _dispatched(match, currency):
    return {
        "items": items(match["items"]),
        "carrier": match["carrier"],
        "tracking_number": match["tracking"] or "",
    }


def _refund(match, currency):
    return {
        **_amount(match, currency),
        "items": items(match["items"]) if match["items"] else [],
        "restocked": bool(match["restocked"]),
        "reason": match["reason"] or "",
        "cancels_order": False,
    }


def _groups(*names):
    return lambda match, currency: {name: match[name] or "" for name in names}


def _nothing(match, currency):
    return {}


# (kind, pattern of the English sentence, particulars from the match), first match wins.
SENTENCES = [
    ("checkout_started", r"Checkout started; stock held until payment or expiry\.", _nothing),
    (
        "checkout_failed",
        r"The payment provider could not open a checkout: (?P<error>.*)",
        _groups("error"),
    ),
    ("checkout_replaced", r"Replaced by a newer checkout from the same basket\.", _nothing),
    (
        "checkout_abandoned",
        r"The reader left the payment page without paying; items released\.",
        _nothing,
    ),
    ("hold_expired", r"The time to pay ran out; the items went back on sale\.", _nothing),
    (
        "payment_settling",
        r"Payment is being processed by the provider; items held until "
        r"(?P<date>\d{2} \w{3} \d{4})\.",
        _settling,
    ),
    (
        "payment_other_checkout",
        r"A payment arrived for a checkout \((?P<checkout>.*)\) this order did not open\.",
        _groups("checkout"),
    ),
    ("paid_late", r"Paid after the hold ran out; the items were still available\.", _nothing),
    (
        "paid_late_sold_out",
        r"Paid after the hold ran out, and the items had sold out: refunding in full\.",
        _nothing,
    ),
    ("paid", r"Paid (?P<amount>\S+) \((?P<provider>\S+) (?P<payment>\S+)\)\.", _paid),
    (
        "amount_mismatch",
        r"The provider reported (?P<paid>\S+); the order total is (?P<total>\S+)\.",
        _mismatch,
    ),
    ("payment_failed", r"A payment attempt failed(?:: (?P<reason>.*))?\.", _groups("reason")),
    (
        "dispute_opened",
        r"The payer's bank opened a dispute for (?P<amount>\S+)(?: \((?P<reason>.*)\))?; "
        r"respond to it in the payment provider's dashboard\.",
        _dispute,
    ),
    ("confirmation_resent", r"Confirmation email sent again\.", _nothing),
    (
        "dispatched",
        r"Dispatched (?P<items>.+) by (?P<carrier>[^()]+?)(?: \((?P<tracking>[^()]*)\))?\.",
        _dispatched,
    ),
    (
        "refund_requested",
        r"Refund of (?P<amount>\S+) asked of the payment provider(?: for (?P<items>.+?))?"
        r"(?P<restocked>, items back in stock)?(?:: (?P<reason>.*))?\.",
        _refund,
    ),
    (
        "refunds_confirmed",
        r"The payment provider confirmed refunds totalling (?P<amount>\S+)\.",
        _amount,
    ),
    ("cancelled", r"Cancelled(?:: (?P<reason>.*))?\.", _groups("reason")),
    (
        "print_not_configured",
        r"Printful is not configured: send the printed items by hand\.",
        _nothing,
    ),
    (
        "print_submitted",
        r"Sent to Printful as order (?P<id>\S+?)(?P<draft> \(a draft to confirm in Printful\))?\.",
        lambda match, currency: {"id": match["id"], "draft": bool(match["draft"])},
    ),
    (
        "print_status",
        r"Printful: order (?P<status>\S+)(?: \((?P<reason>.*)\))?\.",
        _groups("status", "reason"),
    ),
    ("print_refused", r"Printful: (?P<error>.*)", _groups("error")),
]


def read_sentence(message, currency):
    """The (kind, parameters) an old history sentence stands for; a note when it is none of
    the shop's sentences or its particulars cannot be read back."""
    for kind, pattern, particulars in SENTENCES:
        found = re.fullmatch(pattern, message, flags=re.DOTALL)
        if found is None:
            continue
        try:
            return kind, particulars(found, currency)
        except ValueError:
            break
    return "note", {"text": message}


def sentences_to_kinds(apps, schema_editor):
    OrderEvent = apps.get_model("shop", "OrderEvent")
    events = OrderEvent.objects.select_related("order").only("message", "order__currency")
    for event in events.iterator(chunk_size=500):
        kind, parameters = read_sentence(event.message, event.order.currency)
        OrderEvent.objects.filter(pk=event.pk).update(kind=kind, parameters=parameters)


def kinds_to_sentences(apps, schema_editor):
    OrderEvent = apps.get_model("shop", "OrderEvent")
    for event in OrderEvent.objects.only("kind", "parameters").iterator(chunk_size=500):
        if event.kind == "note":
            message = str(event.parameters.get("text", ""))
        else:
            message = f"{event.kind}: {json.dumps(event.parameters, ensure_ascii=False)}"
        OrderEvent.objects.filter(pk=event.pk).update(message=message[:500])


class Migration(migrations.Migration):
    dependencies = [
        ("shop", "0003_refund_claims"),
    ]

    operations = [
        migrations.AddField(
            model_name="orderevent",
            name="kind",
            field=models.CharField(default="note", max_length=30),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="orderevent",
            name="parameters",
            field=models.JSONField(blank=True, default=dict),
        ),
        # Going back re-adds the sentence column; it needs a default for existing rows.
        migrations.AlterField(
            model_name="orderevent",
            name="message",
            field=models.CharField(blank=True, default="", max_length=500),
        ),
        migrations.RunPython(sentences_to_kinds, kinds_to_sentences),
        migrations.RemoveField(model_name="orderevent", name="message"),
        migrations.AlterField(
            model_name="orderevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("checkout_started", "Checkout started"),
                    ("checkout_failed", "Checkout could not be opened"),
                    ("checkout_replaced", "Replaced by a newer checkout"),
                    ("checkout_abandoned", "Payment page left"),
                    ("hold_expired", "Time to pay ran out"),
                    ("payment_settling", "Payment being processed"),
                    ("payment_other_checkout", "Payment for another checkout"),
                    ("paid", "Paid"),
                    ("paid_late", "Paid after the hold ran out"),
                    ("paid_late_sold_out", "Paid after the items sold out"),
                    ("amount_mismatch", "Amount paid differs from the total"),
                    ("payment_failed", "Payment attempt failed"),
                    ("dispute_opened", "Dispute opened"),
                    ("confirmation_resent", "Confirmation sent again"),
                    ("dispatched", "Dispatched"),
                    ("refund_requested", "Refund asked"),
                    ("refund_refused", "Refund refused"),
                    ("refunds_confirmed", "Refunds confirmed"),
                    ("cancelled", "Cancelled"),
                    ("print_not_configured", "Print on demand not configured"),
                    ("print_submitted", "Sent for printing"),
                    ("print_refused", "Printing refused"),
                    ("print_status", "Printing status changed"),
                    ("note", "Note"),
                ],
                max_length=30,
            ),
        ),
    ]
