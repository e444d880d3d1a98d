"""The sign-up form's markup (``newsletter_form_start`` and ``newsletter_form_end``, around
the form's live part): every part shown in its place, and every value escaped."""

import re

import pytest
from django.http import QueryDict
from django.template import Context, Template
from django.test import RequestFactory
from wagtail.models import Site

from masthead.newsletter.forms import SignupForm
from masthead.newsletter.models import Newsletter


def render_form(**context):
    request = RequestFactory().get("/news/some-story/")
    request._wagtail_site = Site.objects.get(is_default_site=True)
    source = '{% include "newsletter/includes/signup_form_body.html" %}'
    return Template(source).render(Context({"request": request, **context}))


@pytest.mark.django_db
def test_one_newsletter_is_named_with_its_description_instead_of_choices():
    Newsletter.objects.create(
        name="Quay <news>", slug="quay", description="Fridays & Mondays", is_public=True
    )
    html = render_form(form_id="footer-signup", source="footer", text="Once a <week>")
    only = Newsletter.objects.get(slug="quay")
    assert f'<input type="hidden" name="newsletters" value="{only.pk}">' in html
    assert (
        '<p class="newsletter-signup__only">You will receive: Quay &lt;news&gt;. '
        "Fridays &amp; Mondays</p>"
    ) in html
    assert "<fieldset" not in html
    assert "<p>Once a &lt;week&gt;</p>" in html
    assert 'aria-labelledby="footer-signup-heading"' in html
    assert 'name="source" value="footer /news/some-story/"' in html
    assert re.search(r'name="rendered" value="\d+:[\w-]+"', html)
    # In order: heading, the field, the live part, consent, the button.
    assert html.index("<h2") < html.index('name="email"') < html.index('name="rendered"')
    assert html.index('name="rendered"') < html.index("newsletter-signup__consent")
    assert (
        html.index("newsletter-signup__consent")
        < html.index("</button>")
        < html.index("</section>")
    )
    assert "aria-invalid" not in html and "form-error" not in html


@pytest.mark.django_db
def test_a_refused_sign_up_shows_its_errors_and_values_escaped():
    daily = Newsletter.objects.create(name="Daily", slug="daily", is_public=True)
    Newsletter.objects.create(name="Weekly", slug="weekly", is_public=True)
    data = QueryDict(mutable=True)
    data.update({"email": '"><script>x</script>', "name": "Jo <i>", "newsletters": str(daily.pk)})
    form = SignupForm(data=data)
    assert not form.is_valid()
    html = render_form(signup_form=form, form_id="home-signup", heading="Join <us>")
    assert '<h2 id="home-signup-heading">Join &lt;us&gt;</h2>' in html
    assert 'aria-invalid="true" aria-describedby="home-signup-email-error"' in html
    assert re.search(r'<p class="form-error" id="home-signup-email-error">[^<]+</p>', html)
    assert 'value="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"' in html
    assert 'value="Jo &lt;i&gt;"' in html
    assert "<script>" not in html and "<i>" not in html
    assert f'value="{daily.pk}" checked>' in html
    assert '<fieldset class="newsletter-signup__choices">' in html


@pytest.mark.django_db
def test_without_a_public_newsletter_there_is_no_form():
    Newsletter.objects.create(name="Members", slug="members", is_public=False)
    assert "<form" not in render_form(form_id="footer-signup")
