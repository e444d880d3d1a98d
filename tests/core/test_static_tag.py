"""``{% load masthead_static %}`` (masthead.core.templatetags.masthead_static): Django's
static tags, with each file's URL worked out by the storage once per process."""

import json

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template import Context, Template
from django.templatetags.static import static
from django.test import override_settings

from masthead.core.templatetags import masthead_static

MANIFEST_STORAGE = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}


def render(text, **context):
    return Template("{% load masthead_static %}" + text).render(Context(context))


def test_the_static_tags_write_what_djangos_write():
    assert render('{% static "core/site.css" %}') == static("core/site.css")
    assert render('{% static "a b.css" %}') == static("a b.css") == "/static/a%20b.css"
    assert render("{% static path as link %}[{{ link }}]", path="core/site.css") == (
        f"[{static('core/site.css')}]"
    )
    assert render("{% get_static_prefix %}|{% get_media_prefix %}") == "/static/|/media/"


def test_each_paths_url_is_asked_of_the_storage_once(monkeypatch):
    masthead_static._stored_url.cache_clear()
    expected = static("core/site.css") + static("shop/shop.css")
    storage_class = type(staticfiles_storage._wrapped)
    original, asked = storage_class.url, []

    def noted(storage, name):
        asked.append(name)
        return original(storage, name)

    monkeypatch.setattr(storage_class, "url", noted)
    for _ in range(3):
        assert render('{% static "core/site.css" %}{% static "shop/shop.css" %}') == expected
    assert asked == ["core/site.css", "shop/shop.css"]


def test_a_changed_setting_is_followed(tmp_path):
    """A manifest storage (production's): the hashed names from its manifest; a file the
    manifest lacks is refused on every render, as Django refuses it."""
    (tmp_path / "staticfiles.json").write_text(
        json.dumps({"version": "1.1", "paths": {"core/site.css": "core/site.0123abcd.css"}})
    )
    plain = render('{% static "core/site.css" %}')
    with override_settings(STORAGES=MANIFEST_STORAGE, STATIC_ROOT=tmp_path, STATIC_URL="/s/"):
        assert render('{% static "core/site.css" %}') == "/s/core/site.0123abcd.css"
        for _ in range(2):
            with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
                render('{% static "core/gone.css" %}')
    assert render('{% static "core/site.css" %}') == plain == "/static/core/site.css"


def test_masthead_templates_load_the_remembering_library():
    """Every template of Masthead's that links a static file loads ``masthead_static``."""
    import re
    from pathlib import Path

    import masthead

    loads = re.compile(r"\{% load ([^%]*)%\}")
    for template in Path(masthead.__file__).parent.rglob("templates/**/*.html"):
        for libraries in loads.findall(template.read_text()):
            assert "static" not in libraries.split(), template
