"""Everything ``audience`` plugs into elsewhere, connected once from ``AudienceConfig.ready()``."""


def connect():
    """Connect audience to core's registries."""
