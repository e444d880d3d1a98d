"""Orders in Wagtail's admin: the orders listing (filters, search, CSV export), and each
order's page with its lines, totals, address, shipments, refunds and history, and the
actions an editor takes there (mark dispatched, refund, cancel, resend the confirmation,
send to Printful again).

Actions are POST-only forms with Django's CSRF protection, allowed to those who may change
orders (``shop.change_order``: the Editors and Administrators groups); the money actions go
through ``masthead.shop.actions`` (which check the permission again and write the audit
log), and any refusal is shown next to the form, keeping what the editor typed.
"""

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import CreateView, DeleteView, InspectView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.log_actions import log

from masthead.core.exports import SafeCsvIndexView
from masthead.payments.money import InvalidAmount, format_money, parse_amount
from masthead.shop import actions, orders
from masthead.shop.emails import order_url
from masthead.shop.fulfilment.base import FulfilmentError
from masthead.shop.models import Order, OrderEvent, Variant
from masthead.shop.pricing import shop_settings_for

# Every copy of the orders (names, addresses, emails) taken from the admin is logged.
EXPORT_LOG_ACTION = "shop.export_orders"


def total_display(order):
    return format_money(order.total, order.currency)


# --- Forms ----------------------------------------------------------------------------------------


class DispatchForm(forms.Form):
    """A parcel the outlet sent: how many of each item still to send, and its tracking."""

    carrier = forms.CharField(label=_("Carrier"), max_length=100)
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=100, required=False)
    tracking_url = forms.URLField(
        label=_("Tracking link"), max_length=500, required=False, assume_scheme="https"
    )

    def __init__(self, *args, order, **kwargs):
        # Three forms share the page: their ids must not collide.
        kwargs.setdefault("auto_id", "dispatch_%s")
        super().__init__(*args, **kwargs)
        self.lines = [line for line in order.lines.all() if line.quantity_to_dispatch > 0]
        for line in self.lines:
            self.fields[f"quantity_{line.pk}"] = forms.IntegerField(
                label=line.item_name,
                min_value=0,
                max_value=line.quantity_to_dispatch,
                initial=line.quantity_to_dispatch,
                help_text=_("SKU %(sku)s; %(count)d to send")
                % {"sku": line.sku, "count": line.quantity_to_dispatch},
            )

    def quantity_fields(self):
        return [self[f"quantity_{line.pk}"] for line in self.lines]

    def quantities(self):
        return {line.pk: self.cleaned_data.get(f"quantity_{line.pk}") or 0 for line in self.lines}


class RefundForm(forms.Form):
    """What to give back: chosen items (their share of what was paid), everything left, or
    an amount of money alone."""

    class Scope(models.TextChoices):
        ITEMS = "items", _("The items chosen below")
        EVERYTHING = "everything", _("Everything not yet refunded")
        AMOUNT = "amount", _("An amount only (no items)")

    scope = forms.ChoiceField(
        label=_("Refund"), choices=Scope.choices, initial=Scope.ITEMS, widget=forms.RadioSelect
    )
    amount = forms.CharField(
        label=_("Amount"),
        max_length=20,
        required=False,
        help_text=_(
            "For items, leave empty to refund what they cost after discount (plus shipping "
            "when this refunds the last items)."
        ),
    )
    restock = forms.BooleanField(label=_("Put the items back in stock"), required=False)
    reason = forms.CharField(label=_("Reason (for the history)"), max_length=300, required=False)

    def __init__(self, *args, order, **kwargs):
        kwargs.setdefault("auto_id", "refund-form_%s")
        super().__init__(*args, **kwargs)
        self.order = order
        self.lines = [line for line in order.lines.all() if line.quantity > line.quantity_refunded]
        for line in self.lines:
            self.fields[f"refund_{line.pk}"] = forms.IntegerField(
                label=line.item_name,
                min_value=0,
                max_value=line.quantity - line.quantity_refunded,
                initial=0,
                required=False,
            )

    def quantity_fields(self):
        return [self[f"refund_{line.pk}"] for line in self.lines]

    def clean_amount(self):
        text = self.cleaned_data["amount"].strip()
        if not text:
            return None
        try:
            return parse_amount(
                text,
                self.order.currency,
                minimum=1,
                maximum=max(orders.refundable_amount(self.order), 1),
            )
        except InvalidAmount as error:
            raise forms.ValidationError(str(error)) from error

    def clean(self):
        cleaned = super().clean()
        scope = cleaned.get("scope")
        lines = {
            line.pk: cleaned.get(f"refund_{line.pk}") or 0
            for line in self.lines
            if cleaned.get(f"refund_{line.pk}")
        }
        if scope == self.Scope.ITEMS and not lines and not self.errors:
            raise forms.ValidationError(_("Choose how many of which items to refund."))
        if (
            scope == self.Scope.AMOUNT
            and cleaned.get("amount") is None
            and "amount" not in self.errors
        ):
            self.add_error("amount", _("Say how much to refund."))
        cleaned["lines"] = lines
        return cleaned

    def refund_arguments(self):
        scope = self.cleaned_data["scope"]
        if scope == self.Scope.EVERYTHING:
            return {}
        if scope == self.Scope.AMOUNT:
            return {"amount": self.cleaned_data["amount"]}
        return {"lines": self.cleaned_data["lines"], "amount": self.cleaned_data["amount"]}


class CancelForm(forms.Form):
    """Cancelling needs a tick in the box, so it is never one stray click."""

    confirm = forms.BooleanField(
        label=_("Yes, cancel this order"),
        help_text=_("A paid order is refunded in full and its items go back in stock."),
    )
    reason = forms.CharField(
        label=_("Reason (shown to the reader)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "cancel_%s")
        super().__init__(*args, **kwargs)


# --- Order page -----------------------------------------------------------------------------------


class OrderInspectView(InspectView):
    """One order: what was bought, paid, sent and refunded, its history, and the actions."""

    template_name = "shop/admin/order_detail.html"

    def get_object(self, queryset=None):
        return get_object_or_404(
            Order.objects.prefetch_related("lines", "shipments__lines__order_line", "refunds"),
            pk=self.pk,
        )

    def can_change(self):
        return self.request.user.has_perm(actions.OrderAction.permission)

    def get_context_data(self, **kwargs):
        order = self.object
        forms_ = {
            "dispatch_form": DispatchForm(order=order),
            "refund_form": RefundForm(order=order),
            "cancel_form": CancelForm(),
        }
        forms_.update(kwargs.pop("bound_forms", {}))
        config = shop_settings_for()
        events = list(order.events.select_related("user").order_by("created_at", "pk"))
        context = super().get_context_data(**kwargs)
        context.update(
            forms_,
            order=order,
            lines=list(order.lines.all()),
            events=events,
            payment_mismatches=[
                event for event in events if event.kind == OrderEvent.Kind.PAYMENT_MISMATCH
            ],
            shipments=list(order.shipments.all()),
            refunds=list(order.refunds.all()),
            can_change=self.can_change(),
            can_dispatch=order.status in orders.DISPATCHABLE_STATUSES
            and any(line.quantity_to_dispatch for line in order.lines.all()),
            can_refund=orders.refundable_amount(order) > 0
            and order.status != Order.Status.CANCELLED,
            can_cancel=order.status not in (Order.Status.CANCELLED, Order.Status.REFUNDED)
            and not any(line.quantity_dispatched for line in order.lines.all()),
            refundable=orders.refundable_amount(order),
            has_print_on_demand=any(
                line.fulfilment == Variant.Fulfilment.PRINTFUL for line in order.lines.all()
            ),
            slip_url=reverse("shop_fulfilment:slip", args=[order.pk]),
            order_url=order_url(order),
            vat_number=config.vat_number,
        )
        return context

    def post(self, request, *args, **kwargs):
        if not self.can_change():
            raise PermissionDenied
        self.object = self.get_object()
        action = request.POST.get("action", "")
        handler = {
            "dispatch": self._dispatch,
            "refund": self._refund,
            "cancel": self._cancel,
            "resend": self._resend,
            "printful": self._printful,
        }.get(action)
        if handler is None:
            messages.error(request, _("That is not something an order can do."))
            return redirect(self.request.path)
        return handler(request, self.object)

    def _again(self, **bound_forms):
        context = self.get_context_data(bound_forms=bound_forms)
        return TemplateResponse(self.request, self.template_name, context)

    def _done(self, message):
        messages.success(self.request, message)
        return redirect(self.request.path)

    def _dispatch(self, request, order):
        form = DispatchForm(request.POST, order=order)
        if not form.is_valid():
            return self._again(dispatch_form=form)
        try:
            actions.DispatchOrder(
                order,
                request.user,
                quantities=form.quantities(),
                carrier=form.cleaned_data["carrier"],
                tracking_number=form.cleaned_data["tracking_number"],
                tracking_url=form.cleaned_data["tracking_url"],
            ).execute()
        except orders.OrderActionError as error:
            form.add_error(None, str(error))
            return self._again(dispatch_form=form)
        return self._done(_("Marked as dispatched; the reader has been emailed."))

    def _refund(self, request, order):
        form = RefundForm(request.POST, order=order)
        if not form.is_valid():
            return self._again(refund_form=form)
        try:
            record = actions.RefundOrder(
                order,
                request.user,
                **form.refund_arguments(),
                restock=form.cleaned_data["restock"],
                reason=form.cleaned_data["reason"],
            ).execute()
        except orders.OrderActionError as error:
            form.add_error(None, str(error))
            return self._again(refund_form=form)
        return self._done(
            _("A refund of %(amount)s was sent to the payment provider.")
            % {"amount": format_money(record.amount, order.currency)}
        )

    def _cancel(self, request, order):
        form = CancelForm(request.POST)
        if not form.is_valid():
            return self._again(cancel_form=form)
        try:
            actions.CancelOrder(order, request.user, reason=form.cleaned_data["reason"]).execute()
        except orders.OrderActionError as error:
            form.add_error(None, str(error))
            return self._again(cancel_form=form)
        return self._done(_("The order is cancelled; the reader has been emailed."))

    def _resend(self, request, order):
        try:
            actions.ResendConfirmation(order, request.user).execute()
        except orders.OrderActionError as error:
            messages.error(request, str(error))
            return redirect(self.request.path)
        return self._done(
            _("The confirmation is on its way to %(email)s.") % {"email": order.email}
        )

    def _printful(self, request, order):
        try:
            external_id = actions.SendToPrintful(order, request.user).execute()
        except FulfilmentError as error:
            messages.error(request, str(error))
            return redirect(self.request.path)
        if external_id:
            return self._done(_("Printful has the order (%(id)s).") % {"id": external_id})
        messages.warning(request, _("Nothing was sent: see the order's history."))
        return redirect(self.request.path)


# --- Orders listing -------------------------------------------------------------------------------


class OrderFilterSet(WagtailFilterSet):
    """Filter orders by status and when they were paid."""

    status = django_filters.ChoiceFilter(label=_("Status"), choices=Order.Status.choices)
    paid_at = django_filters.DateFromToRangeFilter(
        label=_("Paid between"), widget=DateRangePickerWidget
    )

    class Meta:
        model = Order
        fields = ["status", "paid_at"]


class OrderIndexView(SafeCsvIndexView):
    """The listing: an order's number opens its page, not the address form. Its exports
    are written to the audit log."""

    def get_edit_url(self, instance):
        return self.get_inspect_url(instance)

    def render_to_response(self, context, **response_kwargs):
        if self.is_export:
            # Logged against the editor who took the copy, with the filters that chose it.
            # request.user is a lazy proxy (two deep under django-otp's middleware), which
            # Wagtail's log registry does not see through: it would skip the entry silently.
            editor = get_user_model()._default_manager.get(pk=self.request.user.pk)
            log(
                editor,
                EXPORT_LOG_ACTION,
                user=editor,
                data={
                    "format": self.request.GET.get("export"),
                    "query": self.request.GET.urlencode(),
                },
            )
        return super().render_to_response(context, **response_kwargs)


class NoCreateView(CreateView):
    """Orders come only from checkouts, never typed in by hand."""

    def dispatch(self, request, *args, **kwargs):
        return redirect(self.index_url_name)


class NoDeleteView(DeleteView):
    """An order is a record of money taken: cancel or refund it instead of deleting it."""

    def dispatch(self, request, *args, **kwargs):
        messages.error(request, _("Orders cannot be deleted; cancel or refund them instead."))
        return redirect(self.index_url_name)


class OrderViewSet(ModelViewSet):
    """Every order: filter, search, export, open. The form only corrects the contact details
    and the address."""

    model = Order
    icon = "list-ul"
    menu_label = _("Orders")
    form_fields = [
        "email",
        "full_name",
        "address_line1",
        "address_line2",
        "city",
        "region",
        "postcode",
        "country",
        "phone",
    ]
    list_display = [
        "number",
        "created_at",
        "full_name",
        "email",
        Column("total", label=_("Total"), accessor=total_display),
        "status",
    ]
    list_export = [
        "number",
        "created_at",
        "paid_at",
        "status",
        "email",
        "full_name",
        "address_line1",
        "address_line2",
        "city",
        "region",
        "postcode",
        "country",
        "shipping_method",
        "discount_code",
        "currency",
        "subtotal",
        "discount_total",
        "shipping_total",
        "vat_total",
        "total",
        "refunded_amount",
    ]
    export_filename = "orders"
    search_fields = ["number", "email", "full_name"]
    search_backend_name = None
    filterset_class = OrderFilterSet
    index_view_class = OrderIndexView
    add_view_class = NoCreateView
    delete_view_class = NoDeleteView
    inspect_view_class = OrderInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
