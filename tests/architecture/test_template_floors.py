"""Templates keep the floors too (pyproject.toml's import-linter contract): a template under
``masthead/<app>/templates`` names only its own app and the apps on floors below it, in
the templates it extends or includes, the tag libraries it loads, the URLs it reverses,
the static files it links and the site settings it reads. An app above fills a place in
a lower app's page through a slot (``masthead.core.slots``), never by being named there.

What belongs to which app: a template or static path by its first folder, a tag library
by the ``templatetags`` package it is in, a URL by the module of its view (or, for a
namespace, of its views), a site setting by its app label. Names that belong to no app
of ours (Wagtail's, Django's, the project's shared ``static/``) are free to use; Wagtail's
own templates overridden in an app (``wagtailadmin/...``) are checked as that app's."""

import re
import tomllib
from functools import cache
from pathlib import Path

import pytest
from django.template.base import Lexer, TokenType
from django.urls import URLPattern, URLResolver, get_resolver

PROJECT_DIR = Path(__file__).resolve().parents[2]
APPS_DIR = PROJECT_DIR / "masthead"

# A site setting read in a template, as Wagtail's context processor offers them:
# settings.<app label>.<model>.
SETTING = re.compile(r"\bsettings\.(\w+)\.[A-Z]\w*")
# A template or static file named in Python code: "<folder>/....html" and the like.
TEMPLATE_OR_STATIC_NAME = re.compile(r"[\"']([a-z_]+)/[\w/.-]+\.(?:html|txt|xml|css|js|svg)[\"']")


@cache
def floors():
    """Each app's floor, 0 for the lowest, from the "floors" contract in pyproject.toml."""
    config = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())
    contract = next(
        contract
        for contract in config["tool"]["importlinter"]["contracts"]
        if contract["id"] == "floors"
    )
    return {
        app.strip(): height
        for height, layer in enumerate(reversed(contract["layers"]))
        for app in layer.split("|")
    }


def app_of_module(module):
    """The app a Python module of ours belongs to, or None."""
    parts = module.split(".")
    if parts[0] == "masthead" and len(parts) > 1 and parts[1] in floors():
        return parts[1]
    return None


@cache
def tag_libraries():
    """{library name: app} for the template tag libraries of our apps."""
    return {
        path.stem: path.parts[-3]
        for path in APPS_DIR.glob("*/templatetags/*.py")
        if path.stem != "__init__" and path.parts[-3] in floors()
    }


def _views(patterns):
    """Every view module under ``patterns``, however deep."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            yield pattern.lookup_str


@cache
def url_owners():
    """({namespace: app}, {URL name outside any namespace: app}) for the URLs whose views
    are ours: a namespace belongs to the one app its views come from."""
    namespaces, names = {}, {}

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace:
                    apps = {app_of_module(view) for view in _views(pattern.url_patterns)}
                    apps.discard(None)
                    if len(apps) == 1:
                        namespaces[pattern.namespace] = apps.pop()
                else:
                    walk(pattern.url_patterns)
            elif pattern.name:
                app = app_of_module(pattern.lookup_str)
                if app is not None:
                    names.setdefault(pattern.name, app)

    walk(get_resolver().url_patterns)
    return namespaces, names


def _literal(bit):
    """A quoted template argument's text, or None for a variable."""
    if len(bit) >= 2 and bit[0] == bit[-1] and bit[0] in "\"'":
        return bit[1:-1]
    return None


def _first_folder(path):
    return path.split("/", 1)[0] if "/" in path else None


def references(source):
    """What ``source`` names, as (line, what, app) for the names that belong to one of our
    apps; ``what`` says how, e.g. ``include "shop/cart.html"``."""
    namespaces, url_names = url_owners()
    skipping = None
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.COMMENT:
            continue
        if token.token_type == TokenType.BLOCK:
            bits = token.split_contents()
            if skipping:
                if bits[0] == skipping:
                    skipping = None
                continue
            if bits[0] in ("comment", "verbatim"):
                skipping = f"end{bits[0]}"
                continue
            yield from _block_references(token.lineno, bits, namespaces, url_names)
        for match in SETTING.finditer(token.contents):
            if match.group(1) in floors():
                yield token.lineno, match.group(0), match.group(1)


def _block_references(line, bits, namespaces, url_names):
    tag, arguments = bits[0], bits[1:]
    name = _literal(arguments[0]) if arguments else None
    if tag in ("extends", "include") and name:
        yield line, f'{tag} "{name}"', _first_folder(name)
    elif tag == "load":
        libraries = arguments[-1:] if "from" in arguments else arguments
        for library in libraries:
            yield line, f"load {library}", tag_libraries().get(library)
    elif tag == "url" and name:
        if ":" in name:
            yield line, f'url "{name}"', namespaces.get(name.split(":", 1)[0])
        else:
            yield line, f'url "{name}"', url_names.get(name)
    elif tag == "static" and name:
        yield line, f'static "{name}"', _first_folder(name)


def forbidden_references(owner, source):
    """The references in ``source`` (a template of the app ``owner``) to apps on the same
    floor or above, as readable lines."""
    height = floors()
    return [
        f"line {line}: {what} belongs to {app}"
        for line, what, app in references(source)
        if app in height and app != owner and height[app] >= height[owner]
    ]


def app_templates():
    """(app, template path) for every template of our apps."""
    for path in sorted(APPS_DIR.glob("*/templates/**/*")):
        if path.is_file() and path.suffix in (".html", ".txt", ".xml"):
            yield path.relative_to(APPS_DIR).parts[0], path


def test_every_app_with_templates_is_on_a_floor():
    assert {app for app, _path in app_templates()} <= set(floors())


def test_templates_name_only_their_own_app_and_the_floors_below():
    broken = [
        f"{path.relative_to(PROJECT_DIR)}: {problem}"
        for app, path in app_templates()
        for problem in forbidden_references(app, path.read_text())
    ]
    assert broken == []


def forbidden_names_in_code(owner, code):
    """The templates and static files of apps on the same floor or above that ``code`` (a
    module of the app ``owner``) names, with their line numbers."""
    height = floors()
    return [
        f"line {number}: {match.group(0)} belongs to {match.group(1)}"
        for number, line in enumerate(code.splitlines(), start=1)
        for match in TEMPLATE_OR_STATIC_NAME.finditer(line)
        if match.group(1) in height
        and match.group(1) != owner
        and height[match.group(1)] >= height[owner]
    ]


def test_python_code_names_only_templates_of_its_own_app_and_the_floors_below():
    """An inclusion tag, a view's ``template_name`` or a ``render_to_string`` in an app
    names templates (and static files) by the same rule as its templates do."""
    modules = [(path.relative_to(APPS_DIR).parts[0], path) for path in APPS_DIR.glob("*/**/*.py")]
    broken = [
        f"{path.relative_to(PROJECT_DIR)}: {problem}"
        for app, path in sorted(modules)
        if app in floors()
        for problem in forbidden_names_in_code(app, path.read_text())
    ]
    assert broken == []


def test_code_naming_a_template_above_is_found():
    code = 'from x import y\n\nHTML = render_to_string("shop/includes/price.html", {})\n'
    assert forbidden_names_in_code("core", code) == [
        'line 3: "shop/includes/price.html" belongs to shop'
    ]
    assert forbidden_names_in_code("transfer", code) == []


@pytest.mark.parametrize(
    ("owner", "source", "problem"),
    [
        (
            "core",
            '{% include "newsletter/includes/signup_form.html" with source="footer" %}',
            'line 1: include "newsletter/includes/signup_form.html" belongs to newsletter',
        ),
        ("core", "{% load static social_tags %}", "line 1: load social_tags belongs to social"),
        (
            "core",
            "<p>\n{% load fediverse_handle from social_tags %}",
            "line 2: load social_tags belongs to social",
        ),
        (
            "core",
            "<a href=\"{% url 'shop:cart' %}\">Basket</a>",
            'line 1: url "shop:cart" belongs to shop',
        ),
        (
            "core",
            "<form action=\"{% url 'search' %}\"></form>",
            'line 1: url "search" belongs to publishing',
        ),
        (
            "core",
            "<script src=\"{% static 'audience/count.js' %}\"></script>",
            'line 1: static "audience/count.js" belongs to audience',
        ),
        (
            "publishing",
            '{% extends "donations/donate.html" %}',
            'line 1: extends "donations/donate.html" belongs to donations',
        ),
        (
            "publishing",
            "{{ settings.newsletter.NewsletterSettings.signup_heading }}",
            "line 1: settings.newsletter.NewsletterSettings belongs to newsletter",
        ),
        # Apps on one floor are as independent in their templates as in their imports.
        (
            "donations",
            '{% include "shop/includes/price.html" %}',
            'line 1: include "shop/includes/price.html" belongs to shop',
        ),
    ],
)
def test_a_reference_upwards_or_sideways_is_found(owner, source, problem):
    assert forbidden_references(owner, source) == [problem]


def test_references_to_the_app_itself_and_the_floors_below_are_allowed():
    source = (
        '{% extends "core/base.html" %}{% load i18n static money wagtailcore_tags %}\n'
        '{% include "shop/includes/price.html" %}{% url "readers:account" %}\n'
        "{% url 'search' %}{% url 'payments:webhook' %}{% static 'css/shop.css' %}\n"
        "{{ settings.core.SiteSettings.outlet_name }}{% include template_name %}\n"
        '{% comment %}{% include "transfer/export.html" %}{% endcomment %}'
        "{# {% load transfer_tags %} #}"
    )
    assert forbidden_references("shop", source) == []
