"""Placeholder until this module is written."""


def release_expired_reservations():
    raise NotImplementedError
