"""Links an editor types in (the site settings' calls to action) that are safe to put in an
``href``: an absolute ``http:``/``https:`` URL or a path on this site, nothing else.

``javascript:``, ``data:`` and the like would run or show something of the attacker's on
every page; ``//host`` and ``/\\host`` look like paths but lead to another site. Browsers
drop tabs and newlines inside a URL and spaces around it, so ``java\\tscript:`` would still
run: any whitespace or control character makes a link unsafe. The same check runs in the
model (``validate_link``) and when a page is rendered (the ``safe_link`` filter), so a
value stored before the check existed, or written around the form, never reaches a page.
"""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

_absolute_web_url = URLValidator(schemes=["http", "https"])


def is_safe_link(value):
    """Whether ``value`` is an absolute http(s) URL or a path on this site."""
    if not isinstance(value, str) or not value:
        return False
    if any(
        character.isspace() or ord(character) < 32 or ord(character) == 127 for character in value
    ):
        return False
    if "\\" in value:
        return False
    if value.startswith("/"):
        return not value.startswith("//")
    if urlsplit(value).scheme.lower() not in {"http", "https"}:
        return False
    try:
        _absolute_web_url(value)
    except ValidationError:
        return False
    return True


def validate_link(value):
    """Refuse anything but an absolute http(s) URL or a path on this site."""
    if value and not is_safe_link(value):
        raise ValidationError(
            _(
                "Enter a web address starting with https:// or http://, or a path on this site "
                "starting with /."
            ),
            code="unsafe_link",
        )
