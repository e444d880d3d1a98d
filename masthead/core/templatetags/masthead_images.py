"""Wagtail's image tags (``image``, ``srcset_image``, ``picture``), with each tag's filters
parsed once per process instead of on every render.

Wagtail's nodes build new ``Filter`` objects each time they render, and a new ``Filter``
parses its spec again, checking each operation's arguments with ``inspect`` (about a tenth
of a home page's cold render went there, for its 19 pictures). Here the filters are parsed
once per spec: a ``Filter`` holds nothing but its spec and the operations parsed from it,
so one is safely shared by every render and every thread. And the ``<img>`` element is
written directly (``img_tag``) rather than through Django's ``flatatt``. Same syntax, same
output: ``{% load masthead_images %}`` in place of ``{% load wagtailimages_tags %}``.
"""

from functools import cache

from django import template
from django.apps import apps
from django.utils.safestring import mark_safe
from wagtail.images.models import Filter, Picture
from wagtail.images.shortcuts import get_rendition_or_not_found, get_renditions_or_not_found
from wagtail.images.templatetags import wagtailimages_tags as wagtail_tags

from masthead.core.escaping import escape

register = template.Library()


@cache
def parsed_filter(spec):
    """The ``Filter`` for ``spec``, its operations parsed once per process."""
    filter_ = Filter(spec=spec)
    filter_.operations  # noqa: B018 - parsed now, and a bad spec fails here
    return filter_


def img_tag(rendition, extra_attributes):
    """``rendition.img_tag(extra_attributes)``, the same HTML, written directly: Django's
    ``flatatt`` formats every attribute through ``format_html`` (about a third of a card's
    picture). As there, the attributes are sorted, values escaped unless already safe,
    ``True`` written bare and ``False`` and ``None`` left out."""
    attrs = rendition.attrs_dict
    attrs.update(_default_attrs())
    attrs.update(extra_attributes)
    return mark_safe(f"<img{_attributes(attrs)}>")  # noqa: S308 - escaped by _attributes


def _attributes(attrs):
    """``flatatt(attrs)``: sorted, values escaped unless already safe, ``True`` written
    bare after the others, ``False`` and ``None`` left out."""
    pairs = sorted(
        (name, value)
        for name, value in attrs.items()
        if value is not None and not isinstance(value, bool)
    )
    flags = sorted(name for name, value in attrs.items() if value is True)
    written = "".join(f' {escape(name)}="{escape(value)}"' for name, value in pairs)
    return written + "".join(f" {escape(name)}" for name in flags)


def _default_attrs():
    return apps.get_app_config("wagtailimages").default_attrs


class WrittenNode:
    """A Wagtail image node whose element is written here (``write``): Wagtail's own render
    for ``as name``, nothing without a picture."""

    def render(self, context):
        if self.output_var_name:
            return super().render(context)
        image = self.validate_image(context)
        if not image:
            return ""
        attrs = {key: value.resolve(context) for key, value in self.attrs.items()}
        return self.write(image, attrs)


class ImageNode(WrittenNode, wagtail_tags.ImageNode):
    def get_filter(self):
        return parsed_filter("|".join(self.filter_specs))

    def write(self, image, attrs):
        return img_tag(get_rendition_or_not_found(image, self.get_filter()), attrs)


@cache
def parsed_filters(specs):
    """The ``Filter``s a tag's ``specs`` (a tuple, which may name sizes as ``{a,b}``) expand
    to, parsed once per process."""
    return tuple(parsed_filter(spec) for spec in Filter.expand_spec(list(specs)))


@cache
def _listed_filters(specs):
    """The ``Filter``s of ``specs`` when ``_read_with`` may look for their renditions: no
    spec repeated, none that Wagtail changes for an SVG picture (``preserve-svg``)."""
    filters = parsed_filters(specs)
    distinct = len({each.spec for each in filters}) == len(filters)
    if distinct and not any("preserve-svg" in each.spec.split("|") for each in filters):
        return filters
    return None


def _read_with(image, filters):
    """The renditions of ``filters`` among those read with ``image`` for a listing (its
    ``prefetched_renditions``: ``masthead.publishing.models.pictures_with_renditions``),
    found as Wagtail's ``get_renditions`` finds them there (the spec, and the focal point's
    key); None when one is missing, for Wagtail to make. Wagtail's own way took a card's
    picture about 13 µs, a dictionary or two per call."""
    read = image.__dict__.get("prefetched_renditions")
    if read is None:
        return None
    found = []
    for each in filters:
        spec = each.spec
        key = None
        for rendition in read:
            if rendition.filter_spec != spec:
                continue
            if key is None:
                key = each.get_cache_key(image)
            if rendition.focal_point_key == key:
                rendition._from_cache = True  # as Wagtail marks it: not written back
                found.append(rendition)
                break
        else:
            return None
    return found


def renditions_of(image, specs):
    """``{spec: rendition}`` for ``specs`` (a tuple, which may name sizes as ``{a,b}``), as
    Wagtail's ``get_renditions_or_not_found`` answers: from those read with the picture
    for a listing (``_read_with``) when all are there, else Wagtail's own way."""
    filters = _listed_filters(specs)
    found = _read_with(image, filters) if filters is not None else None
    if found is None:
        return get_renditions_or_not_found(image, parsed_filters(specs))
    return {each.spec: rendition for each, rendition in zip(filters, found, strict=True)}


def srcset_img(image, specs, attrs):
    """What ``{% srcset_image image <specs> <attrs> %}`` writes, for a picture: Wagtail's
    ``ResponsiveImage``, written as ``img_tag`` writes a picture. ``specs`` is a tuple."""
    renditions = list(renditions_of(image, specs).values())
    if len(renditions) > 1:
        attrs["srcset"] = ", ".join(f"{each.url} {each.width}w" for each in renditions)
    return img_tag(renditions[0], attrs)


class SrcsetImageNode(WrittenNode, wagtail_tags.SrcsetImageNode):
    def get_filters(self):
        return parsed_filters(tuple(self.filter_specs))

    def write(self, image, attrs):
        return srcset_img(image, tuple(self.filter_specs), attrs)


class PictureNode(WrittenNode, wagtail_tags.PictureNode):
    get_filters = SrcsetImageNode.get_filters

    def write(self, image, attrs):
        return picture_html(renditions_of(image, tuple(self.filter_specs)), attrs)


def picture_html(renditions, attrs):
    """What Wagtail's ``Picture(renditions, attrs)`` writes (a ``<source>`` per format but
    the fallback, then the fallback's ``<img>``), its elements written as ``img_tag``
    writes a picture rather than through ``flatatt``: the lead story's picture took a
    fiftieth of a cold home page."""
    picture = Picture(renditions, attrs)
    if not picture.formats:
        if len(picture.renditions) > 1:
            attrs["srcset"] = Picture.get_width_srcset(picture.renditions)
        return mark_safe(f"<picture>{img_tag(picture.renditions[0], attrs)}</picture>")  # noqa: S308 - escaped by img_tag
    fallback_format = picture.get_fallback_format()
    sources = []
    for kind in Picture.source_format_order:
        if kind.name != fallback_format and kind.name in picture.formats:
            source = {
                "srcset": Picture.get_width_srcset(picture.formats[kind.name]),
                "sizes": attrs.get("sizes"),
                "type": kind.mime_type,
            }
            sources.append(f"<source{_attributes(source)}>")
    fallback = picture.formats[fallback_format]
    if len(fallback) > 1:
        attrs["srcset"] = Picture.get_width_srcset(fallback)
    img = img_tag(fallback[0], attrs)
    return mark_safe(f"<picture>{''.join(sources)}{img}</picture>")  # noqa: S308 - escaped by _attributes and img_tag


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
