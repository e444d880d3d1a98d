"""Places in the shared page templates that apps above fill: core's base template has the
page's head, the navigation and the footer, publishing's pages have the spots around an
article and on the home page. A template names a place with ``{% slot "name" %}``
(``masthead_tags``) and never the apps that fill it; each app registers its templates for
the places it fills from its wiring, so a template, like an import, only ever names its
own app and the floors below it.

A slot renders its parts' templates one after the other, by ``order`` (then in the order
they were registered), each with the page's context, the part's own ``context`` and the
values the page passes (``{% slot "home_signup" heading=page.newsletter_heading %}``), the
page's winning. A slot no app fills renders nothing.

Whether a part is the same for every reader is the page's to keep: a slot inside a
rendered fragment (``masthead.core.fragments``) is rendered once per publication with
the fragment, so the places whose parts change with readers' activity (the sign-up forms,
the funding bar) sit inside ``{% live %}`` in the page's template. A part adds no query
of its own beyond what its template does; the registry is a dict read once per render.

A place inside an article's text also says where it goes: ``position(context)`` of its
first part that has one returns after how many paragraphs (0: nowhere), and the page
reads it with ``{% slot_position "name" as count %}``.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SlotPart:
    """One app's template in a slot, with the variables it is rendered with."""

    template_name: str
    order: int = 0
    context: dict = field(default_factory=dict)
    position: object = None


# Each slot's parts, kept sorted: {slot name: {template name: SlotPart}} and the sorted
# tuples that rendering reads.
_parts = {}
_sorted = {}


def register_slot(name, template_name, *, order=0, context=None, position=None):
    """Render ``template_name`` in the slot ``name``, among the slot's other parts by
    ``order``, with the variables in ``context`` besides the page's. Registering the same
    template in the same slot again replaces it."""
    parts = _parts.setdefault(name, {})
    parts[template_name] = SlotPart(template_name, order, dict(context or {}), position)
    _sorted[name] = tuple(sorted(parts.values(), key=lambda part: part.order))


def slot_parts(name):
    """The parts of the slot ``name`` in the order they are rendered (empty when no app
    fills it)."""
    return _sorted.get(name, ())


def slot_position(name, context):
    """After how many paragraphs of a page's text the slot ``name`` goes, from its first
    part that says (0 when none does: the slot is not placed)."""
    for part in slot_parts(name):
        if part.position is not None:
            return part.position(context)
    return 0
