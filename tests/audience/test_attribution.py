"""Attribution through real form posts: the hidden fields the counting script fills in
(mh_page, mh_from, mh_ref, mh_query) reach a Conversion for a newsletter sign-up
(completed when confirmed), a monthly gift (completed when the demo provider is paid) and a
shop order (with its revenue, completed when paid); replays change nothing; hostile fields
are dropped; campaign emails tag only this site's links; the click redirect counts and
refuses anything it did not sign."""

from urllib.parse import urlencode

import pytest
from django.core import signing
from django.core.cache import cache

from masthead.audience import attribution
from masthead.audience.models import Conversion
from masthead.donations.models import Donation
from masthead.newsletter import campaign_links, tokens
from masthead.newsletter.models import Campaign, CampaignLinkClick, ConsentRecord, Newsletter
from masthead.newsletter.rendering import render_campaign
from masthead.payments.providers.demo import DemoProvider
from masthead.shop.models import Order
from tests.donations.helpers import donate_form, open_outlet
from tests.newsletter.subscribe_helpers import BROWSER, post_signup, signup_data
from tests.publishing.factories import make_article
from tests.shop.checkout_helpers import choose_shipping, details_form, review_form
from tests.shop.factories import make_default_zones, make_product

pytestmark = pytest.mark.django_db

ORIGIN = {"HTTP_ORIGIN": "http://testserver"}
FORM = "application/x-www-form-urlencoded"
VALUES = {
    "name": "Sam",
    "newsletter": "Daily",
    "preferences_url": "https://x",
    "unsubscribe_url": "https://y",
}


@pytest.fixture
def outlet(settings):
    tree = open_outlet(settings)
    yield tree
    cache.clear()


@pytest.fixture
def article(outlet):
    return make_article(outlet.section, title="Council hides the bridge report")


def script_fields(page, came_from="", referrer="", query=""):
    """The hidden inputs A1's script adds to a ``form[data-attribution]``."""
    return {"mh_page": page, "mh_from": came_from, "mh_ref": referrer, "mh_query": query}


def test_sign_up_from_an_article_is_attributed_and_completed_when_confirmed(client, article):
    daily = Newsletter.objects.create(name="Daily", slug="daily")
    page = client.get(article.url)
    assert b"data-attribution" in page.content  # the article's inline sign-up form

    fields = script_fields(
        article.url, referrer="https://www.google.co.uk/search?q=bridge", query="utm_source=x"
    )
    response = post_signup(client, {**signup_data("sam@example.org", [daily]), **fields})

    assert response.status_code == 200
    record = ConsentRecord.objects.get(subscriber__email="sam@example.org")
    conversion = Conversion.objects.get()
    assert (conversion.kind, conversion.source, conversion.reference) == (
        Conversion.Kind.SIGNUP,
        "newsletter.ConsentRecord",
        str(record.pk),
    )
    assert conversion.article_id == article.pk
    assert conversion.acted_path == article.url
    assert (conversion.entry_referrer, conversion.entry_referrer_kind) == ("Google", "search")
    assert conversion.utm_source == "x"
    assert conversion.completed_at is None

    token = tokens.make_confirmation_token(record.subscriber, record, [daily.pk])
    client.post(f"/newsletter/confirm/{token}/", HTTP_USER_AGENT=BROWSER)
    conversion.refresh_from_db()
    assert conversion.completed_at is not None
    first_completion = conversion.completed_at

    # Following the link again is a replay: still one sign-up, completed when it first was.
    client.post(f"/newsletter/confirm/{token}/", HTTP_USER_AGENT=BROWSER)
    conversion.refresh_from_db()
    assert Conversion.objects.count() == 1
    assert conversion.completed_at == first_completion


def test_signing_up_again_to_what_one_already_receives_is_no_new_sign_up(client, article):
    daily = Newsletter.objects.create(name="Daily", slug="daily")
    for _attempt in range(2):
        post_signup(
            client, {**signup_data("sam@example.org", [daily]), **script_fields(article.url)}
        )
    first, second = ConsentRecord.objects.filter(action="opt_in").order_by("pk")
    for record in (first, second):
        token = tokens.make_confirmation_token(record.subscriber, record, [daily.pk])
        client.post(f"/newsletter/confirm/{token}/", HTTP_USER_AGENT=BROWSER)

    completed = Conversion.objects.filter(completed_at__isnull=False)
    assert list(completed.values_list("reference", flat=True)) == [str(first.pk)]


def test_monthly_gift_from_an_articles_donate_prompt_with_its_amount(client, article):
    # The prompt at the end of the article links to the donate page; its form says so.
    fields = script_fields(
        "/support/",
        came_from=article.url,
        referrer="https://bsky.app/profile/riverside.example/post/1",
        query="frequency=monthly&amount=1000",
    )
    response = client.post("/support/give/", {**donate_form(), **fields}, **ORIGIN)

    assert response.status_code == 302
    conversion = Conversion.objects.get()
    assert conversion.kind == Conversion.Kind.MONTHLY
    assert (conversion.amount, conversion.currency) == (1000, "GBP")
    assert conversion.article_id == article.pk
    assert conversion.acted_path == "/support/"
    assert (conversion.entry_referrer, conversion.entry_referrer_kind) == ("Bluesky", "social")
    assert conversion.completed_at is None

    donation = Donation.objects.get()
    DemoProvider().pay(donation.checkout_id)
    conversion.refresh_from_db()
    assert conversion.completed_at is not None
    assert conversion.reference == str(donation.reference)


def test_one_off_gift_with_the_newsletter_box_records_a_gift_and_a_sign_up(client, article):
    Newsletter.objects.create(name="Daily", slug="daily")
    fields = script_fields("/support/", came_from=article.url)
    client.post(
        "/support/give/",
        {**donate_form(frequency="one_off", amount="2500", newsletter_opt_in="on"), **fields},
        **ORIGIN,
    )

    kinds = dict(Conversion.objects.values_list("kind", "amount"))
    assert kinds == {Conversion.Kind.DONATION: 2500, Conversion.Kind.SIGNUP: 0}
    assert set(Conversion.objects.values_list("article_id", flat=True)) == {article.pk}


def test_an_order_from_an_article_with_its_revenue_completed_when_paid(
    client, article, django_capture_on_commit_callbacks
):
    product = make_product(variants=[{"sku": "MUG", "price": 1200, "stock": 5}])
    rate = make_default_zones()["uk"].rates.get(name="Royal Mail 2nd Class")
    variant = product.variants.get()
    # Added from the product page the reader reached from the article...
    client.post(
        "/shop/cart/add/",
        {
            "variant": variant.pk,
            "quantity": 2,
            **script_fields(product.get_absolute_url(), came_from=article.url),
        },
        **ORIGIN,
    )
    # ...then the checkout's own pages, which are no article.
    client.post(
        "/shop/checkout/",
        {
            **details_form(newsletter_opt_in="on"),
            **script_fields("/shop/checkout/", "/shop/cart/"),
        },
    )
    choose_shipping(client, rate)
    client.post("/shop/checkout/pay/", review_form(client))

    order = Order.objects.get()
    conversion = Conversion.objects.get()
    assert conversion.kind == Conversion.Kind.ORDER
    assert conversion.reference == str(order.pk)
    assert (conversion.amount, conversion.currency) == (order.total, "GBP")
    assert order.total == 2 * 1200 + rate.price
    assert conversion.article_id == article.pk
    assert conversion.completed_at is None

    Newsletter.objects.create(name="Daily", slug="daily")
    with django_capture_on_commit_callbacks(execute=True):
        DemoProvider().pay(order.checkout_id)
    conversion.refresh_from_db()
    assert conversion.completed_at is not None
    # The newsletter box ticked at checkout: a sign-up from the same article.
    signup = Conversion.objects.get(kind=Conversion.Kind.SIGNUP)
    assert (signup.article_id, signup.completed_at) == (article.pk, None)


def test_record_and_complete_are_idempotent(article):
    found = attribution.Attribution(article_id=article.pk, acted_path="/support/")
    first = attribution.record(found, Conversion.Kind.DONATION, "donations.Donation", "r1", 500)
    again = attribution.record(
        attribution.Attribution(), Conversion.Kind.DONATION, "donations.Donation", "r1", 900
    )
    assert again.pk == first.pk and again.amount == 500 and again.article_id == article.pk

    assert attribution.complete("donations.Donation", "r1") == 1
    stamped = Conversion.objects.get().completed_at
    assert attribution.complete("donations.Donation", "r1") == 0
    assert Conversion.objects.get().completed_at == stamped
    with pytest.raises(ValueError):
        attribution.record(found, "refund", "donations.Donation", "r2")


def test_forged_and_hostile_fields_are_ignored(client, outlet, article):
    draft = make_article(outlet.section, title="Not yet out")
    draft.unpublish()
    daily = Newsletter.objects.create(name="Daily", slug="daily")
    hostile = {
        "mh_page": "https://evil.example" + article.url,
        "mh_from": "/news/not-yet-out/",
        "mh_ref": "javascript:alert(1)",
        "mh_query": "mh_campaign=-4&utm_source=" + "\x00\x07" + "s" * 500 + "&utm_medium=%0Aemail",
    }
    post_signup(client, {**signup_data("sam@example.org", [daily]), **hostile})

    conversion = Conversion.objects.get()
    assert conversion.article_id is None
    assert conversion.acted_path == ""
    assert (conversion.entry_referrer, conversion.entry_referrer_kind) == ("", "")
    assert conversion.campaign_id is None
    assert conversion.utm_source == "s" * 100
    assert conversion.utm_medium == "email"

    # A path that is no article (a section) and a far too long one name no article either.
    section_post = {
        **signup_data("kim@example.org", [daily]),
        **script_fields(outlet.section.url, "/" + "a" * 5000),
    }
    post_signup(client, section_post)
    assert Conversion.objects.latest("pk").article_id is None


def _campaign_with_links(count_clicks):
    newsletter = Newsletter.objects.create(name="Daily", slug="daily", count_clicks=count_clicks)
    campaign = Campaign.objects.create(
        subject="Bridge news",
        body=(
            '<p><a href="/news/bridge/?ref=x">Ours</a> '
            '<a href="https://other.example/story">Theirs</a></p>'
            "<p>Read it at http://testserver/news/market/.</p>"
        ),
    )
    campaign.newsletters.add(newsletter)
    return campaign


def test_campaign_links_carry_the_campaign_only_on_this_sites_links(outlet):
    campaign = _campaign_with_links(count_clicks=False)

    html_part, text_part = render_campaign(campaign).personalise(VALUES)

    ours = f"http://testserver/news/bridge/?ref=x&amp;mh_campaign={campaign.pk}"
    assert f'href="{ours}"' in html_part
    assert 'href="https://other.example/story"' in html_part
    assert f"http://testserver/news/bridge/?ref=x&mh_campaign={campaign.pk}" in text_part
    assert "https://other.example/story" in text_part
    assert f"http://testserver/news/market/?mh_campaign={campaign.pk}." in text_part
    assert "other.example/story?mh_campaign" not in text_part
    assert "/newsletter/c/" not in html_part


def test_click_counting_redirects_counts_and_refuses_what_it_did_not_sign(client, outlet):
    campaign = _campaign_with_links(count_clicks=True)
    html_part, _text = render_campaign(campaign).personalise(VALUES)
    counted = {
        campaign_links.read_click_token(url.rsplit("/c/", 1)[1].strip("/"))[1]: url
        for _start, url, _end in campaign_links._HREF.findall(html_part)
        if "/newsletter/c/" in url
    }
    destination = f"http://testserver/news/bridge/?ref=x&mh_campaign={campaign.pk}"
    path = counted[destination].removeprefix("http://testserver")
    assert 'href="https://other.example/story"' in html_part

    assert client.head(path).status_code == 302  # link checkers: not counted
    first = client.get(path)
    client.get(path)

    assert first.status_code == 302
    assert first["Location"] == destination
    link = CampaignLinkClick.objects.get()
    assert (link.campaign_id, link.clicks) == (campaign.pk, 2)

    unsigned = signing.dumps({"c": campaign.pk, "u": "https://evil.example/"}, salt="other")
    forged_path = f"/newsletter/c/{unsigned}/"
    tampered = path.replace("/c/", "/c/x")
    for bad in (forged_path, tampered, "/newsletter/c/not-a-token/"):
        response = client.get(bad)
        assert response.status_code == 400
        assert not response.has_header("Location")
    # Even a link signed with the site's key goes nowhere but this site.
    elsewhere = campaign_links.click_path(campaign.pk, "https://evil.example/")
    assert client.get(elsewhere).status_code == 400
    assert CampaignLinkClick.objects.get().clicks == 2


def test_what_the_form_leaves_out_comes_from_the_visitors_recent_hits(client, article):
    daily = Newsletter.objects.create(name="Daily", slug="daily")
    reader = {"REMOTE_ADDR": "203.0.113.50", "HTTP_USER_AGENT": BROWSER}
    came = {"k": "view", "p": article.url, "q": "", "r": "https://duckduckgo.com/", "w": "0"}
    newsletter_page = {**came, "p": "/newsletter/", "r": "http://testserver" + article.url}
    for hit in (came, newsletter_page):
        answer = client.post("/a/hit", urlencode(hit), FORM, **ORIGIN, **reader)
        assert answer.status_code < 300

    # The newsletter page's form, its fields saying only where the reader is now.
    form = {**signup_data("sam@example.org", [daily]), **script_fields("/newsletter/")}
    post_signup(client, form, **reader)
    # Another browser (another visitor id) and one that asked not to be tracked get nothing.
    post_signup(client, signup_data("kim@example.org", [daily]), REMOTE_ADDR="198.51.100.1")
    post_signup(client, signup_data("lee@example.org", [daily]), HTTP_DNT="1", **reader)

    sam, kim, lee = Conversion.objects.order_by("pk")
    assert (sam.article_id, sam.entry_referrer, sam.entry_referrer_kind) == (
        article.pk,
        "DuckDuckGo",
        "search",
    )
    for other in (kim, lee):
        assert (other.article_id, other.entry_referrer) == (None, "")


def test_a_refunded_gift_counts_what_was_kept_and_a_full_refund_withdraws_it(client, article):
    fields = script_fields("/support/", came_from=article.url)
    client.post(
        "/support/give/", {**donate_form(frequency="one_off", amount="2500"), **fields}, **ORIGIN
    )
    donation = Donation.objects.get()
    DemoProvider().pay(donation.checkout_id)
    donation.refresh_from_db()
    assert Conversion.objects.get(kind=Conversion.Kind.DONATION).amount == 2500

    DemoProvider().refund(donation.payment_id, amount=1000)
    assert Conversion.objects.get(kind=Conversion.Kind.DONATION).amount == 1500

    DemoProvider().refund(donation.payment_id)
    assert not Conversion.objects.filter(kind=Conversion.Kind.DONATION).exists()


def test_a_fully_refunded_order_no_longer_counts(
    client, article, django_capture_on_commit_callbacks
):
    product = make_product(variants=[{"sku": "CAP", "price": 1500, "stock": 5}])
    rate = make_default_zones()["uk"].rates.get(name="Royal Mail 2nd Class")
    client.post(
        "/shop/cart/add/",
        {
            "variant": product.variants.get().pk,
            "quantity": 1,
            **script_fields(product.get_absolute_url(), came_from=article.url),
        },
        **ORIGIN,
    )
    client.post("/shop/checkout/", details_form())
    choose_shipping(client, rate)
    client.post("/shop/checkout/pay/", review_form(client))
    order = Order.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        DemoProvider().pay(order.checkout_id)
    order.refresh_from_db()
    assert Conversion.objects.get(kind=Conversion.Kind.ORDER).amount == order.total

    with django_capture_on_commit_callbacks(execute=True):
        DemoProvider().refund(order.payment_id, amount=500)
    assert Conversion.objects.get(kind=Conversion.Kind.ORDER).amount == order.total - 500

    with django_capture_on_commit_callbacks(execute=True):
        DemoProvider().refund(order.payment_id)
    assert not Conversion.objects.filter(kind=Conversion.Kind.ORDER).exists()
