"""Everything ``transfer`` plugs into elsewhere, connected once from ``TransferConfig.ready()``."""


def connect():
    """Connect transfer to the registries of the floors below it."""
