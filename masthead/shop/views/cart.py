"""Placeholder until this module is written."""


def cart(request):
    raise NotImplementedError


def add(request):
    raise NotImplementedError


def update(request):
    raise NotImplementedError


def summary(request):
    raise NotImplementedError
