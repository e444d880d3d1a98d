"""The newsroom's desk (the admin's home page) per role, the outlet's own name in the admin,
the panels other apps register, and the audience figures on an article's edit screen."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page

from masthead.audience import desk
from masthead.audience.models import Conversion, PageDay
from masthead.core.models import SiteSettings
from masthead.donations.funding import month_start
from masthead.donations.models import CostCategory, MonthlyCost
from masthead.newsletter.models import Campaign
from masthead.publishing.roles import ADMINISTRATORS, CONTRIBUTORS, EDITORS
from tests.publishing.factories import make_article, make_author, make_site_tree

pytestmark = pytest.mark.django_db

OUTLET = "The Riverside Post"


def make_user(username, group_name):
    user = User.objects.create_user(username, f"{username}@newsroom.test", "pw")
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def newsroom():
    tree = make_site_tree()
    settings = SiteSettings.for_site(tree.site)
    settings.outlet_name = OUTLET
    settings.save()
    casey = make_user("casey", CONTRIBUTORS)
    byline = make_author(tree.author_index, name="Casey Jones", user=casey)
    article = make_article(tree.section, [byline], title="Flood defences by Casey")
    PageDay.objects.create(
        day=timezone.localdate(), path=article.url_path, page_id=article.pk, views=42, reads=5
    )
    Conversion.objects.create(
        kind=Conversion.Kind.DONATION,
        source="tests.Thing",
        reference="1",
        started_at=timezone.now(),
        completed_at=timezone.now(),
        amount=1500,
        currency="GBP",
        article_id=article.pk,
    )
    MonthlyCost.objects.create(
        month=month_start(), category=CostCategory.objects.create(name="Reporting"), amount=100000
    )
    Campaign.objects.create(
        subject="Friday briefing",
        status=Campaign.Status.SCHEDULED,
        scheduled_at=timezone.now() + timedelta(days=1),
    )
    # Casey's draft, and a revision an editor scheduled to go live tomorrow.
    draft = make_article(tree.section, [byline], title="Half-written budget story", slug="budget")
    draft.title = "Budget story, second draft"
    draft.save_revision(user=casey)
    scheduled = make_article(tree.section, [byline], title="Tomorrow's story", slug="tomorrow")
    scheduled.save_revision(approved_go_live_at=timezone.now() + timedelta(days=1))
    Page.objects.filter(pk__in=[article.pk, draft.pk, scheduled.pk]).update(owner=casey)
    return {"tree": tree, "article": article, "casey": casey}


def desk_panels_shown(html):
    return {
        name
        for name in (
            "today",
            "scheduled",
            "drafts",
            "donations_funding",
            "donations_supporters",
            "shop_dispatch",
            "newsletter_campaigns",
        )
        if f'data-desk-panel="{name}"' in html
    }


def test_an_editors_desk_names_the_outlet_and_shows_what_they_may_see(newsroom, client):
    client.force_login(make_user("edie", EDITORS))
    response = client.get(reverse("wagtailadmin_home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert f"{OUTLET}'s desk" in html
    assert f"- {OUTLET}</title>" in html
    # Editors may view orders, not donations or campaigns (their apps' permissions).
    assert desk_panels_shown(html) == {"today", "scheduled", "shop_dispatch"}
    assert 'data-figure="views">42<' in html
    assert 'data-figure="money">£15.00<' in html
    assert "Flood defences by Casey" in html
    assert "Tomorrow&#x27;s story" in html
    for url in (reverse("audience_dashboard"), reverse("shop_fulfilment:index")):
        assert f'href="{url}' in html


def test_an_administrators_desk(newsroom, client):
    client.force_login(make_user("ada", ADMINISTRATORS))
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert {"today", "scheduled", "shop_dispatch"} <= desk_panels_shown(html)
    assert 'data-figure="money">£15.00<' in html


def test_with_every_permission_the_desk_has_funding_supporters_and_campaigns(
    newsroom, client, django_user_model
):
    client.force_login(django_user_model.objects.create_superuser("root", "r@x.test", "pw"))
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert desk_panels_shown(html) >= {
        "today",
        "scheduled",
        "donations_funding",
        "donations_supporters",
        "shop_dispatch",
        "newsletter_campaigns",
    }
    assert "£1,000.00" in html  # this month's costs, against its income
    assert "Friday briefing" in html
    for url in (reverse("donations_report"), reverse("campaigns:index")):
        assert f'href="{url}' in html


def test_a_contributors_desk_shows_their_own_work_and_no_money(newsroom, client):
    client.force_login(newsroom["casey"])
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert desk_panels_shown(html) == {"today", "drafts", "scheduled"}
    assert 'data-figure="views">42<' in html
    assert 'data-figure="money"' not in html and "£" not in html
    assert "Budget story, second draft" in html


def test_another_contributor_sees_no_one_elses_figures(newsroom, client):
    client.force_login(make_user("sam", CONTRIBUTORS))
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert desk_panels_shown(html) == {"today"}
    assert 'data-figure="views">0<' in html
    assert "Flood defences by Casey" not in html


def test_a_registered_panel_is_shown_only_with_its_permission(rf, django_user_model):
    panel = desk.DeskPanel(
        name="tests_secret",
        title="Secret figures",
        lines=lambda request: [desk.DeskLine("Answer", "42")],
        permission="auth.change_user",
    )
    desk.register_desk_panel(panel)
    try:
        request = rf.get("/")
        request.user = django_user_model.objects.create_superuser("root", "r@x.test", "pw")
        assert "tests_secret" in {shown.name for shown in desk.registered_panels(request)}
        request.user = make_user("sam", CONTRIBUTORS)
        assert "tests_secret" not in {shown.name for shown in desk.registered_panels(request)}
    finally:
        desk._panels.pop("tests_secret")


def article_panel(html):
    start = html.index("data-audience-article-panel")
    return html[start : html.index("</div>", start)]


def test_an_articles_edit_screen_shows_its_figures(newsroom, client):
    client.force_login(make_user("edie", EDITORS))
    html = client.get(
        reverse("wagtailadmin_pages:edit", args=[newsroom["article"].pk])
    ).content.decode()
    panel = article_panel(html)
    assert 'data-figure="views">42<' in panel
    assert 'data-figure="reads">5<' in panel
    assert 'data-figure="gifts">1<' in panel
    assert 'data-figure="money">£15.00<' in panel
    section = client.get(reverse("wagtailadmin_pages:edit", args=[newsroom["tree"].section.pk]))
    assert "data-audience-article-panel" not in section.content.decode()


def test_a_contributor_sees_their_articles_figures_without_money(newsroom, client):
    client.force_login(newsroom["casey"])
    response = client.get(reverse("wagtailadmin_pages:edit", args=[newsroom["article"].pk]))
    assert response.status_code == 200
    panel = article_panel(response.content.decode())
    assert 'data-figure="views">42<' in panel
    assert 'data-figure="money"' not in panel
