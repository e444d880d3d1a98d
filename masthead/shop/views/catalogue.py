"""Placeholder until this module is written."""


def shop_home(request):
    raise NotImplementedError


def category(request, slug):
    raise NotImplementedError


def product(request, slug):
    raise NotImplementedError
