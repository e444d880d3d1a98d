"""Wagtail's image tags (``image``, ``srcset_image``, ``picture``), with each tag's filters
parsed once per process instead of on every render.

Wagtail's nodes build new ``Filter`` objects each time they render, and a new ``Filter``
parses its spec again, checking each operation's arguments with ``inspect`` (about a tenth
of a home page's cold render went there, for its 19 pictures). Here the filters are parsed
once per spec: a ``Filter`` holds nothing but its spec and the operations parsed from it,
so one is safely shared by every render and every thread. Same syntax, same
output: ``{% load masthead_images %}`` in place of ``{% load wagtailimages_tags %}``.
"""

from functools import cache

from django import template
from wagtail.images.models import Filter
from wagtail.images.templatetags import wagtailimages_tags as wagtail_tags

register = template.Library()


@cache
def parsed_filter(spec):
    """The ``Filter`` for ``spec``, its operations parsed once per process."""
    filter_ = Filter(spec=spec)
    filter_.operations  # noqa: B018 - parsed now, and a bad spec fails here
    return filter_


class ImageNode(wagtail_tags.ImageNode):
    def get_filter(self):
        return parsed_filter("|".join(self.filter_specs))


@cache
def parsed_filters(specs):
    """The ``Filter``s a tag's ``specs`` (a tuple, which may name sizes as ``{a,b}``) expand
    to, parsed once per process."""
    return tuple(parsed_filter(spec) for spec in Filter.expand_spec(list(specs)))


class SrcsetImageNode(wagtail_tags.SrcsetImageNode):
    def get_filters(self):
        return parsed_filters(tuple(self.filter_specs))


class PictureNode(wagtail_tags.PictureNode):
    get_filters = SrcsetImageNode.get_filters


NODES = {
    wagtail_tags.ImageNode: ImageNode,
    wagtail_tags.SrcsetImageNode: SrcsetImageNode,
    wagtail_tags.PictureNode: PictureNode,
}


def _image_tag(parser, token):
    """Wagtail's tag, parsed by Wagtail, as the node above that keeps its filters."""
    node = wagtail_tags.image(parser, token)
    return NODES[type(node)](
        node.image_expr,
        node.filter_specs,
        output_var_name=node.output_var_name,
        attrs=node.attrs,
    )


register.tag("image", _image_tag)
register.tag("srcset_image", _image_tag)
register.tag("picture", _image_tag)
