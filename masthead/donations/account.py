"""'Your support' on the reader's account page, and what the reader does there: change a
monthly amount, cancel a monthly gift (after a confirmation), change card on the
provider's own page, and download a receipt as printable HTML or as a PDF.

Threat model: these pages and actions are for the signed-in reader only
(``reader_required``), every action is a POST with Django's CSRF token (the account page
is never cached, so it can carry one), and every gift is looked up among the reader's own,
so another reader's gift answers 404 and is never touched. The actions are the donor's
own-page actions (``self_service``): they act at the provider first. The emailed manage
link keeps working for donors who never sign in.

The next payment date is the end of the provider's current monthly period when the
provider has told us one still ahead (its subscription updates carry it); otherwise one
calendar month after the last payment, stepped on by months until it is in the future
(a provider bills monthly on the day the gift started, or the month's last day).
"""

import calendar

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from masthead.core.sites import absolute_url, outlet_name
from masthead.donations import self_service
from masthead.donations.forms import ChangeAmountForm
from masthead.donations.models import Donation, DonationSettings, RecurringDonation
from masthead.donations.pdf import Line, text_pdf
from masthead.payments.money import InvalidAmount, format_money
from masthead.payments.providers.base import PaymentProviderError
from masthead.payments.services import PaymentsUnavailable
from masthead.readers.registry import AccountSection
from masthead.readers.sessions import current_reader, reader_required

# What the section says after an action, by the ``support`` query parameter.
NOTICES = {
    "amount": gettext_lazy("Your monthly amount has been changed."),
    "cancelled": gettext_lazy("Your monthly gift has been cancelled."),
}
# How far ahead the next payment is looked for when stepping on from the last one.
MAX_MONTHS_AHEAD = 36


def _add_month(moment):
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def next_payment_at(recurring, now=None):
    """When the monthly gift's next payment is due, or None if no more will be taken
    (see the module docstring for how it is worked out)."""
    if not recurring.is_live or recurring.cancel_at_period_end:
        return None
    now = now or timezone.now()
    if recurring.current_period_end and recurring.current_period_end > now:
        return recurring.current_period_end
    moment = recurring.last_payment_at or recurring.started_at
    if moment is None:
        return None
    for _month in range(MAX_MONTHS_AHEAD):
        moment = _add_month(moment)
        if moment > now:
            return moment
    return None


def monthly_gifts(reader):
    """The reader's monthly gifts that started, newest first."""
    return RecurringDonation.objects.filter(reader=reader, started_at__isnull=False)


def gifts(reader):
    """The reader's gifts worth showing (not abandoned checkouts), newest first."""
    return Donation.objects.filter(reader=reader).exclude(
        status__in=[Donation.Status.PENDING, Donation.Status.EXPIRED]
    )


def section_context(request, reader, forms_by_id=None):
    """The context of the 'Your support' section."""
    config = DonationSettings.current(request)
    supporters = list(monthly_gifts(reader))
    forms_by_id = forms_by_id or {}
    for recurring in supporters:
        recurring.next_payment_at = next_payment_at(recurring)
        recurring.amount_form = forms_by_id.get(recurring.pk) or ChangeAmountForm(
            config=config, currency=recurring.currency
        )
    return {
        "supporters": supporters,
        "gifts": gifts(reader).select_related("recurring"),
        "support_notice": NOTICES.get(request.GET.get("support", "")),
    }


SECTION = AccountSection(
    name="support",
    title=gettext_lazy("Your support"),
    template="donations/account/section.html",
    context=section_context,
    order=20,
)


def _account_url(notice=""):
    query = f"?support={notice}" if notice else ""
    return f"{reverse('readers:account')}{query}#account-support"


def _own_monthly_gift(request, recurring_id):
    recurring = monthly_gifts(current_reader(request)).filter(pk=recurring_id).first()
    if recurring is None:
        raise Http404
    return recurring


def _refusal(request, error, status=400, form=None, recurring=None):
    """A page saying why an action did not happen, with the way back to the account."""
    return render(
        request,
        "donations/account/refused.html",
        {"error": error, "form": form, "recurring": recurring},
        status=status,
    )


@never_cache
@require_POST
@reader_required
def change_amount(request, recurring_id):
    """Change one of the reader's monthly gifts to a new amount."""
    recurring = _own_monthly_gift(request, recurring_id)
    form = ChangeAmountForm(
        request.POST, config=DonationSettings.current(request), currency=recurring.currency
    )
    if not form.is_valid():
        return _refusal(request, form.errors["amount"][0], form=form, recurring=recurring)
    try:
        self_service.change_amount(recurring, form.cleaned_data["amount"])
    except (self_service.NotAllowed, InvalidAmount, PaymentProviderError) as error:
        return _refusal(request, str(error), recurring=recurring)
    except PaymentsUnavailable as error:
        return _refusal(request, str(error), status=503, recurring=recurring)
    return redirect(_account_url("amount"))


@never_cache
@require_http_methods(["GET", "POST"])
@reader_required
def cancel(request, recurring_id):
    """Ask the reader to confirm, then stop one of their monthly gifts."""
    recurring = _own_monthly_gift(request, recurring_id)
    if request.method == "GET":
        if not recurring.is_live:
            return redirect(_account_url())
        return render(request, "donations/account/cancel.html", {"recurring": recurring})
    try:
        self_service.cancel(recurring)
    except PaymentProviderError as error:
        return _refusal(request, str(error), recurring=recurring)
    except PaymentsUnavailable as error:
        return _refusal(request, str(error), status=503, recurring=recurring)
    return redirect(_account_url("cancelled"))


@never_cache
@require_POST
@reader_required
def card(request, recurring_id):
    """Send the reader to the provider's own page to change the card for a monthly gift."""
    recurring = _own_monthly_gift(request, recurring_id)
    try:
        url = self_service.portal_url(recurring, absolute_url(_account_url()))
    except (self_service.NotAllowed, PaymentProviderError) as error:
        return _refusal(request, str(error), recurring=recurring)
    except PaymentsUnavailable as error:
        return _refusal(request, str(error), status=503, recurring=recurring)
    return redirect(url)


def _own_paid_gift(request, reference):
    donation = (
        gifts(current_reader(request))
        .filter(reference=reference, paid_at__isnull=False)
        .select_related("recurring")
        .first()
    )
    if donation is None:
        raise Http404
    return donation


def gift_kind(donation):
    """What the gift was, as a receipt says it."""
    if donation.kind == Donation.Kind.ONE_OFF:
        return _("One-off gift")
    if donation.is_renewal:
        return _("Monthly gift (renewal)")
    return _("Monthly gift (first payment)")


def receipt_lines(donation):
    """The receipt as label and value pairs, shared by the HTML and the PDF."""
    rows = [
        (_("Receipt number"), str(donation.reference)),
        (_("Date"), date_format(timezone.localtime(donation.paid_at), "j F Y")),
        (_("Kind"), gift_kind(donation)),
        (_("Amount"), format_money(donation.amount, donation.currency)),
    ]
    if donation.fee_amount:
        rows.append(
            (_("Of which to cover card fees"), format_money(donation.fee_amount, donation.currency))
        )
    if donation.refunded_amount:
        rows.append((_("Refunded"), format_money(donation.refunded_amount, donation.currency)))
    rows.append((_("Paid by"), donation.email))
    return rows


@never_cache
@require_GET
@reader_required
def receipt(request, reference):
    """A receipt for one of the reader's paid gifts, as a page to print."""
    donation = _own_paid_gift(request, reference)
    return render(
        request,
        "donations/account/receipt.html",
        {"donation": donation, "rows": receipt_lines(donation), "outlet": outlet_name()},
    )


@never_cache
@require_GET
@reader_required
def receipt_pdf(request, reference):
    """A receipt for one of the reader's paid gifts, as a PDF to download."""
    donation = _own_paid_gift(request, reference)
    outlet = outlet_name()
    lines = [
        Line(outlet, size=18, bold=True, gap=0),
        Line(_("Receipt for your gift"), size=14, gap=14),
    ]
    lines += [Line(f"{label}: {value}", gap=8) for label, value in receipt_lines(donation)]
    lines.append(Line(_("Thank you for supporting our journalism."), gap=20))
    body = text_pdf(lines, title=_("Receipt %(number)s") % {"number": donation.reference})
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="receipt-{str(donation.reference)[:8]}.pdf"'
    )
    return response
