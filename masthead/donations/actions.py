"""Editors' changes to readers' money, as ``masthead.core.actions.Action`` objects: each
checks the editor's permission, does the work through the donations' services and writes
who did it to Wagtail's audit log. The admin calls these, never the services directly."""

from masthead.core.actions import Action
from masthead.donations.refunds import refund_donation


class RefundDonation(Action):
    """Give back all or part of a paid donation through its payment provider."""

    permission = "donations.change_donation"
    log_action = "donations.refund"

    def __init__(self, donation, user, amount=None):
        super().__init__(donation, user)
        self.amount = amount

    def perform(self):
        """Refund ``amount`` (all that is left when None); returns the updated donation."""
        remaining = self.instance.amount - self.instance.refunded_amount
        donation = refund_donation(self.instance, self.amount)
        self.log_data = {
            "amount": remaining if self.amount is None else self.amount,
            "currency": donation.currency,
        }
        self.instance = donation
        return donation
