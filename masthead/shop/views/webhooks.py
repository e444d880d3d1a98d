"""Placeholder until this module is written."""


def printful(request, secret):
    raise NotImplementedError
