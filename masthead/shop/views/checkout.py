"""Placeholder until this module is written."""


def details(request):
    raise NotImplementedError


def shipping(request):
    raise NotImplementedError


def review(request):
    raise NotImplementedError


def pay(request):
    raise NotImplementedError
