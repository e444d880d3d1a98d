"""Placeholder until this module is written."""


def order_status(request, token):
    raise NotImplementedError
