"""One convention per concern, the same in every app, so a newcomer can guess where a thing
lives: settings are read as ``settings.X`` (declared once in settings.py), background tasks
are defined in an app's ``tasks.py``, actions (``masthead.core.actions.Action``) in its
``actions.py``, admin views and viewsets in its ``admin.py`` or ``admin/`` package
(registered from ``wagtail_hooks.py``), and templates in its own ``templates/<app>/``
folder, showing pictures with ``masthead_images``."""

import ast
from functools import cache
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver
from django.views import View
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup

PROJECT_DIR = Path(__file__).resolve().parents[2]
APPS_DIR = PROJECT_DIR / "masthead"

# Where a view that derives from one of these comes from makes it a view of the admin.
ADMIN_VIEW_MODULES = ("wagtail.admin.", "wagtail.snippets.views", "wagtail.contrib.settings.")
# Wagtail's own templates an app may override, besides its own folder.
OVERRIDABLE_FOLDERS = {"wagtailadmin", "wagtailcore"}


@cache
def modules():
    """(path, parsed module) for every Python module of the project, migrations aside."""
    return [
        (path, ast.parse(path.read_text(), filename=str(path)))
        for path in sorted(APPS_DIR.rglob("*.py"))
        if "migrations" not in path.parts
    ]


def where(path, node):
    return f"{path.relative_to(PROJECT_DIR)}:{node.lineno}"


def _name(node):
    """The name an expression ends in: ``task`` for ``task``, ``task()`` and
    ``django_tasks.task``."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def test_settings_are_read_as_declared():
    """No ``getattr(settings, "X", default)``: a setting has one default, in settings.py.
    And no guessing whether tests are running: MASTHEAD_TESTING says so."""
    found = []
    for path, tree in modules():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and _name(node.func) in ("getattr", "hasattr")
                and node.args
                and _name(node.args[0]) in ("settings", "django_settings")
            ):
                found.append(f"{where(path, node)}: {ast.unparse(node)}")
            if (
                isinstance(node, ast.Compare)
                and isinstance(node.left, ast.Constant)
                and node.left.value == "pytest"
            ):
                found.append(f"{where(path, node)}: {ast.unparse(node)}")
    assert not found, "\n".join(found)


def test_background_tasks_are_defined_in_tasks_modules():
    found = [
        f"{where(path, node)}: {node.name}"
        for path, tree in modules()
        if path.name != "tasks.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and any(_name(decorator) == "task" for decorator in node.decorator_list)
    ]
    assert not found, "\n".join(found)


def _names_for_core_action(tree):
    """The names a module gives ``masthead.core.actions.Action`` in its own imports."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "masthead.core.actions":
            names |= {alias.asname or alias.name for alias in node.names if alias.name == "Action"}
    return names


def test_actions_are_defined_in_actions_modules():
    """Every subclass of ``masthead.core.actions.Action`` (directly or through another
    action) is in its app's ``actions.py``."""
    classes = []
    actions = set()
    for path, tree in modules():
        roots = _names_for_core_action(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                classes.append((path, node))
                if {_name(base) for base in node.bases} & roots:
                    actions.add(node.name)
    grown = True
    while grown:
        known = len(actions)
        actions |= {
            node.name for _path, node in classes if {_name(base) for base in node.bases} & actions
        }
        grown = len(actions) > known
    found = [
        f"{where(path, node)}: {node.name}"
        for path, node in classes
        if node.name in actions and path.relative_to(APPS_DIR).parts[1:] != ("actions.py",)
    ]
    assert not found, "\n".join(found)


def _is_admin_module(module, *, or_hooks=False):
    """``masthead.<app>.admin`` or a module inside it (or, with ``or_hooks``, the app's
    ``wagtail_hooks``)."""
    parts = module.split(".")
    if len(parts) >= 3 and parts[2] == "admin":
        return True
    return or_hooks and parts[2:] == ["wagtail_hooks"]


def _is_admin_view(cls):
    return issubclass(cls, View) and any(
        base.__module__.startswith(ADMIN_VIEW_MODULES) for base in cls.__mro__
    )


def _all_subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _all_subclasses(subclass)


def _admin_url_views(patterns, route=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _admin_url_views(pattern.url_patterns, route + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and route.startswith("admin/"):
            yield route + str(pattern.pattern), pattern.lookup_str


def test_admin_views_and_viewsets_are_in_admin_packages():
    """The admin's views and viewsets of every app are in its ``admin.py`` or ``admin/``;
    ``wagtail_hooks.py`` only registers them (a group of viewsets, which is the menu, may
    be declared there). Core holds no admin of its own, only shared base classes."""
    # Every admin module is imported once the admin's URLs and hooks are.
    url_views = list(_admin_url_views(get_resolver().url_patterns))
    hooks.get_hooks("register_admin_viewset")
    found = []
    for cls in {*_all_subclasses(View), *_all_subclasses(ViewSet), *_all_subclasses(ViewSetGroup)}:
        module = cls.__module__
        if not module.startswith("masthead.") or module.startswith("masthead.core."):
            continue
        if issubclass(cls, ViewSetGroup):
            if not _is_admin_module(module, or_hooks=True):
                found.append(f"{module}.{cls.__name__}")
        elif (issubclass(cls, ViewSet) or _is_admin_view(cls)) and not _is_admin_module(module):
            found.append(f"{module}.{cls.__name__}")
    for route, view in url_views:
        if view.startswith("masthead.") and not _is_admin_module(view.rsplit(".", 1)[0]):
            found.append(f"/{route}: {view}")
    assert not found, "\n".join(sorted(set(found)))


def test_templates_are_in_their_app_folder():
    """``<app>/templates/<app>/...``; besides, Wagtail's own templates overridden
    (``wagtailadmin/``, ``wagtailcore/``) and core's error pages."""
    found = []
    for templates in sorted(APPS_DIR.glob("*/templates")):
        app = templates.parent.name
        for entry in sorted(templates.iterdir()):
            if entry.is_dir() and entry.name in {app, *OVERRIDABLE_FOLDERS}:
                continue
            if app == "core" and entry.name in ("404.html", "500.html"):
                continue
            found.append(str(entry.relative_to(PROJECT_DIR)))
    assert not found, "\n".join(found)


def test_reader_templates_show_pictures_with_the_tags_that_parse_once():
    """``{% load masthead_images %}``, not ``wagtailimages_tags``: Wagtail's own nodes parse
    their filter specs again on every render. Wagtail's admin templates overridden here
    (``wagtailadmin/``) are left as Wagtail has them."""
    found = []
    for template in sorted(APPS_DIR.glob("*/templates/**/*.html")):
        if "wagtailadmin" in template.parts:
            continue
        if "wagtailimages_tags" in template.read_text():
            found.append(str(template.relative_to(PROJECT_DIR)))
    assert not found, "\n".join(found)
