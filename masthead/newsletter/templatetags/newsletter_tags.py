"""Template tags for the sign-up form that sits on cached pages."""

from django import template

from masthead.core.fragments import site_fragment
from masthead.newsletter import services, tokens

register = template.Library()


@register.simple_tag(takes_context=True)
def newsletter_signup(context, form=None):
    """What includes/signup_form.html needs: heading, consent wording, the public
    newsletters and the signed render time — the same for every visitor, so the page
    around it can be cached. A bound ``form`` (after a refused sign-up) adds the reader's
    values and the errors."""
    request = context.get("request")
    site_settings = services.newsletter_settings(request)
    # An include without a form passes the template engine's empty string.
    is_bound = getattr(form, "is_bound", False)
    data = form.data if is_bound else {}
    selected = set(data.getlist("newsletters")) if hasattr(data, "getlist") else set()
    return {
        "heading": site_settings.signup_heading,
        "consent_wording": site_settings.consent_wording,
        # Several forms on a page, and the same list on every page: looked up once a second.
        "newsletters": list(
            site_fragment(
                "newsletter:public-newsletters", lambda: tuple(services.public_newsletters())
            )
        ),
        "rendered": tokens.form_timestamp_token(),
        "email": data.get("email", ""),
        "name": data.get("name", ""),
        "selected": selected,
        "errors": form.errors if is_bound else {},
    }
