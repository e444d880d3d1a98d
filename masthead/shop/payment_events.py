"""Placeholder until this module is written."""


def handle_payment_event(event):
    raise NotImplementedError
