"""What an editor does to an order's money and parcels, as actions that check the editor's
permission (``shop.change_order``: the Editors and Administrators groups) and write who did
it to Wagtail's audit log: mark dispatched, refund, cancel, resend the confirmation and send
the printed items to Printful. The orders admin goes through these; the work itself is in
``orders`` (which refuses what does not add up with OrderActionError) and
``print_on_demand`` (FulfilmentError when Printful refuses): then nothing is logged."""

from masthead.core.actions import Action
from masthead.shop import orders, print_on_demand


class OrderAction(Action):
    """An action on one order, open to editors who may change orders."""

    permission = "shop.change_order"


class DispatchOrder(OrderAction):
    """Record a parcel the outlet sent (``quantities`` is ``{line id: quantity}``) and email
    the reader."""

    log_action = "shop.dispatch_order"

    def __init__(self, instance, user, *, quantities, carrier, tracking_number="", tracking_url=""):
        super().__init__(instance, user)
        self.quantities = quantities
        self.carrier = carrier
        self.tracking_number = tracking_number
        self.tracking_url = tracking_url

    def perform(self):
        shipment = orders.mark_dispatched(
            self.instance,
            self.quantities,
            self.carrier,
            self.tracking_number,
            self.tracking_url,
            user=self.user,
        )
        self.log_data = {
            "shipment": shipment.pk,
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
        }
        return shipment


class RefundOrder(OrderAction):
    """Give money back through the payment provider: per item, an amount, or everything
    left (see ``orders.refund``)."""

    log_action = "shop.refund_order"

    def __init__(self, instance, user, *, lines=None, amount=None, restock=False, reason=""):
        super().__init__(instance, user)
        self.lines = lines
        self.amount = amount
        self.restock = restock
        self.reason = reason

    def perform(self):
        record = orders.refund(
            self.instance,
            lines=self.lines,
            amount=self.amount,
            restock=self.restock,
            reason=self.reason,
            user=self.user,
        )
        self.log_data = {
            "refund": record.pk,
            "amount": record.amount,
            "currency": self.instance.currency,
            "lines": record.lines,
            "restocked": record.restocked,
            "reason": record.reason,
        }
        return record


class CancelOrder(OrderAction):
    """Cancel the order, refunding whatever was paid, and tell the reader why."""

    log_action = "shop.cancel_order"

    def __init__(self, instance, user, *, reason=""):
        super().__init__(instance, user)
        self.reason = reason

    def perform(self):
        order = orders.cancel(self.instance, user=self.user, reason=self.reason)
        self.log_data = {"reason": self.reason}
        return order


class ResendConfirmation(OrderAction):
    """Send the order confirmation to the reader again."""

    log_action = "shop.resend_confirmation"

    def perform(self):
        orders.resend_confirmation(self.instance, user=self.user)
        self.log_data = {"email": self.instance.email}


class SendToPrintful(OrderAction):
    """Send the order's print-on-demand lines to Printful now (once: an order Printful
    already has is never posted again); returns Printful's order id, or None when nothing
    was sent (the order's history says why)."""

    log_action = "shop.send_to_printful"

    def perform(self):
        external_id = print_on_demand.submit_order(self.instance.pk, user=self.user)
        self.log_data = {"printful_order": external_id}
        return external_id
