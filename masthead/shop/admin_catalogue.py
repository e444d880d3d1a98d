"""Placeholder until this module is written."""


def register():
    pass
