"""The demo outlet is built in parts, one per app, each registered in ``AppConfig.ready()``:
core runs them in registration order (publishing first) without knowing any of them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoPart:
    """How one app builds, detects and removes its share of the demo.

    ``build()`` returns a one-line summary for the console.
    """

    name: str
    build: object
    remove: object
    is_present: object


_parts = {}


def register_demo_part(name, *, build, remove, is_present):
    _parts[name] = DemoPart(name, build, remove, is_present)


def demo_parts():
    return list(_parts.values())
