"""Template tags for the sign-up form that sits on cached pages."""

import hashlib

from django import template
from django.utils.safestring import SafeString, mark_safe

from masthead.core.escaping import escape, format_html
from masthead.core.fragments import site_fragment
from masthead.core.templatetags.masthead_urls import remembered_reverse
from masthead.core.translated import translated
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


def _first_error(errors, field):
    messages = errors.get(field) if errors else None
    return messages[0] if messages else None


@register.simple_tag
def newsletter_form_start(signup, form_id, heading="", text=""):
    """The sign-up form (includes/signup_form_body.html) up to its live part: the heading
    (``heading``, or the settings'), ``text``, the newsletters to choose (or the only one),
    the email and name fields with a refused sign-up's values and errors, and the trap for
    bots. Written here rather than in the template: two forms on every page, some forty
    template variables and tags each, were a tenth of a page rendered afresh."""
    fid = escape(form_id)
    errors = signup["errors"]
    parts = [
        f'\n<section class="cta cta--newsletter newsletter-signup" '
        f'aria-labelledby="{fid}-heading">\n'
        f'  <h2 id="{fid}-heading">{escape(heading or signup["heading"] or "")}</h2>\n'
    ]
    if text:
        parts.append(f"  <p>{escape(text)}</p>\n")
    parts.append(
        f'  <form class="newsletter-signup__form" method="post" '
        f'action="{escape(remembered_reverse("newsletter:subscribe"))}" '
        f"data-newsletter-signup data-attribution>\n"
    )
    error = _first_error(errors, "newsletters")
    if error:
        parts.append(
            f'    <p class="form-error" id="{fid}-newsletters-error">{escape(error)}</p>\n'
        )
    newsletters = signup["newsletters"]
    if len(newsletters) == 1:
        only = newsletters[0]
        receive = translated("You will receive: %(name)s.") % {"name": escape(only.name)}
        description = f" {escape(only.description)}" if only.description else ""
        parts.append(
            f'    <input type="hidden" name="newsletters" value="{escape(only.pk)}">\n'
            f'    <p class="newsletter-signup__only">{receive}{description}</p>\n'
        )
    else:
        parts.append(
            '    <fieldset class="newsletter-signup__choices">\n'
            f"      <legend>{escape(translated('Choose your newsletters'))}</legend>\n"
            f"      {newsletter_choices(signup, form_id)}\n"
            "    </fieldset>\n"
        )
    error = _first_error(errors, "email")
    invalid = f' aria-invalid="true" aria-describedby="{fid}-email-error"' if error else ""
    parts.append(
        '    <div class="field">\n'
        f'      <label for="{fid}-email">{escape(translated("Email address"))}</label>\n'
        f'      <input type="email" id="{fid}-email" name="email" required maxlength="254" '
        f'autocomplete="email" value="{escape(signup["email"])}"{invalid}>\n'
    )
    if error:
        parts.append(f'      <p class="form-error" id="{fid}-email-error">{escape(error)}</p>\n')
    parts.append(
        "    </div>\n"
        '    <div class="field">\n'
        f'      <label for="{fid}-name">{escape(translated("Your name (optional)"))}</label>\n'
        f'      <input type="text" id="{fid}-name" name="name" maxlength="150" '
        f'autocomplete="name" value="{escape(signup["name"])}">\n'
        "    </div>\n"
        '    <div class="newsletter-signup__trap" aria-hidden="true">\n'
        f'      <label for="{fid}-website">{escape(translated("Leave this field empty"))}</label>\n'
        f'      <input type="text" id="{fid}-website" name="website" tabindex="-1" '
        'autocomplete="off">\n'
        "    </div>\n    "
    )
    return SafeString("".join(parts))


@register.simple_tag
def newsletter_form_end(signup, form_id):
    """The sign-up form after its live part: the consent wording and the button."""
    fid = escape(form_id)
    return SafeString(
        f'\n    <p class="newsletter-signup__consent" id="{fid}-consent">'
        f"{escape(signup['consent_wording'])}</p>\n"
        f'    <button type="submit" class="button" aria-describedby="{fid}-consent">'
        f"{escape(translated('Sign up'))}</button>\n"
        "  </form>\n</section>\n"
    )


@register.simple_tag
def newsletter_form_token():
    """The signed time the sign-up form was rendered (a bot posts faster than a reader)."""
    return tokens.form_timestamp_token()
