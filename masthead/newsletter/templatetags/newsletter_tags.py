"""Template tags for the sign-up form that sits on cached pages."""

import hashlib

from django import template
from django.utils.safestring import mark_safe

from masthead.core.escaping import format_html
from masthead.core.fragments import site_fragment
from masthead.newsletter import services, tokens

register = template.Library()


def _public_newsletters():
    # Several forms on a page, and the same list on every page: looked up once a second.
    return site_fragment(
        "newsletter:public-newsletters", lambda: tuple(services.public_newsletters())
    )


@register.simple_tag
def newsletter_signup_version():
    """What the sign-up form's rendered fragment is keyed on besides its place: the public
    newsletters as they are now (looked up at most once a second), so a newsletter added
    or renamed anywhere is offered at once, before this process sees a new generation."""
    return site_fragment(
        "newsletter:signup-version",
        lambda: hashlib.blake2b(
            repr(
                [(item.pk, item.name, item.description) for item in _public_newsletters()]
            ).encode(),
            digest_size=12,
        ).hexdigest(),
    )


@register.simple_tag(takes_context=True)
def newsletter_signup(context, form=None):
    """What includes/signup_form_body.html needs: heading, consent wording, the public
    newsletters — the same for every visitor, so the page around it can be cached (the
    signed render time is ``newsletter_form_token``, rendered for each request). A bound
    ``form`` (after a refused sign-up) adds the reader's values and the errors."""
    request = context.get("request")
    site_settings = services.newsletter_settings(request)
    # An include without a form passes the template engine's empty string.
    is_bound = getattr(form, "is_bound", False)
    data = form.data if is_bound else {}
    selected = set(data.getlist("newsletters")) if hasattr(data, "getlist") else set()
    return {
        "heading": site_settings.signup_heading,
        "consent_wording": site_settings.consent_wording,
        "newsletters": list(_public_newsletters()),
        "email": data.get("email", ""),
        "name": data.get("name", ""),
        "selected": selected,
        "errors": form.errors if is_bound else {},
    }


# One newsletter's checkbox in the sign-up form (includes/signup_form_body.html).
_CHOICE = (
    '\n      <label class="checkbox" for="{id}">\n'
    '        <input type="checkbox" id="{id}" name="newsletters" value="{pk}"{checked}>\n'
    '        <span class="checkbox__label">{name}</span>{hint}\n'
    "      </label>\n      "
)
_HINT = '\n        <span class="checkbox__hint">{}</span>'


@register.simple_tag
def newsletter_choices(signup, form_id):
    """The form's checkbox for each newsletter, the ones a refused sign-up chose ticked.
    Written here rather than in the template: two forms on every page, one checkbox per
    newsletter, were a tenth of a page rendered afresh."""
    selected = signup["selected"]
    return mark_safe(  # noqa: S308 - format_html escapes every value
        "".join(
            format_html(
                _CHOICE,
                id=f"{form_id}-nl-{newsletter.pk}",
                pk=newsletter.pk,
                checked=mark_safe(" checked") if str(newsletter.pk) in selected else "",
                name=newsletter.name,
                hint=format_html(_HINT, newsletter.description) if newsletter.description else "",
            )
            for newsletter in signup["newsletters"]
        )
    )


@register.simple_tag
def newsletter_form_token():
    """The signed time the sign-up form was rendered (a bot posts faster than a reader)."""
    return tokens.form_timestamp_token()
