"""Everything ``readers`` plugs into elsewhere, connected once from ``ReadersConfig.ready()``."""


def connect():
    """Connect readers to core's registries."""
