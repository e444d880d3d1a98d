"""Placeholder until this module is written."""


def build_demo_part():
    return "shop: not built yet"


def remove_demo():
    pass


def demo_is_present():
    return True
