"""The page tree: which page types an editor may add under which, and the ones refused.

One home page under the root; sections, the author index, plain pages and the corrections
page under the home page; articles only in sections; author pages only in the author index;
plain pages may nest. Articles, author pages and the corrections page have no children.
"""

import pytest
from django.urls import reverse
from wagtail.models import Page, get_page_models

from masthead.publishing.models import (
    ArticlePage,
    AuthorIndexPage,
    AuthorPage,
    CorrectionsPage,
    HomePage,
    SectionPage,
    StandardPage,
)
from tests.publishing.factories import add_child, make_article, make_author, make_site_tree

pytestmark = pytest.mark.django_db

PAGE_TYPES = [
    HomePage,
    SectionPage,
    AuthorIndexPage,
    AuthorPage,
    ArticlePage,
    StandardPage,
    CorrectionsPage,
]
SUBPAGE_TYPES = {
    HomePage: {SectionPage, AuthorIndexPage, StandardPage, CorrectionsPage},
    SectionPage: {ArticlePage},
    AuthorIndexPage: {AuthorPage},
    AuthorPage: set(),
    ArticlePage: set(),
    StandardPage: {StandardPage},
    CorrectionsPage: set(),
}
PARENT_PAGE_TYPES = {
    HomePage: {Page},
    SectionPage: {HomePage},
    AuthorIndexPage: {HomePage},
    AuthorPage: {AuthorIndexPage},
    ArticlePage: {SectionPage},
    StandardPage: {HomePage, StandardPage},
    CorrectionsPage: {HomePage},
}


def test_every_page_type_of_the_project_is_in_this_tree():
    assert {model for model in get_page_models() if model is not Page} == set(PAGE_TYPES)


@pytest.mark.parametrize("model", PAGE_TYPES)
def test_each_page_type_allows_exactly_its_children(model):
    assert set(model.allowed_subpage_models()) == SUBPAGE_TYPES[model]


@pytest.mark.parametrize("model", PAGE_TYPES)
def test_each_page_type_lives_only_under_its_parents(model):
    assert set(model.allowed_parent_page_models()) == PARENT_PAGE_TYPES[model]


@pytest.fixture
def tree():
    """One page of every type, in its place: the pages new pages are tried under."""
    site_tree = make_site_tree()
    home = site_tree.home
    standard = add_child(home, StandardPage(title="About us", slug="about"))
    return {
        Page: home.get_parent(),
        HomePage: home,
        SectionPage: site_tree.section,
        AuthorIndexPage: site_tree.author_index,
        AuthorPage: make_author(site_tree.author_index),
        ArticlePage: make_article(site_tree.section),
        StandardPage: standard,
        CorrectionsPage: add_child(home, CorrectionsPage(title="Corrections", slug="corrections")),
    }


def test_only_the_home_page_may_sit_under_the_root(tree):
    root = tree[Page]

    assert [model for model in PAGE_TYPES if model.can_exist_under(root)] == [HomePage]


@pytest.mark.parametrize("parent_type", PAGE_TYPES)
def test_under_each_page_only_its_allowed_children_may_exist(tree, parent_type):
    parent = tree[parent_type]

    allowed = {model for model in PAGE_TYPES if model.can_exist_under(parent)}

    assert allowed == SUBPAGE_TYPES[parent_type]


def test_editors_can_add_the_everyday_pages_where_they_belong(tree):
    assert ArticlePage.can_create_at(tree[SectionPage])
    assert AuthorPage.can_create_at(tree[AuthorIndexPage])
    assert SectionPage.can_create_at(tree[HomePage])
    assert StandardPage.can_create_at(tree[HomePage])
    assert StandardPage.can_create_at(tree[StandardPage])


def test_articles_are_refused_outside_a_section(tree):
    for parent_type in [Page, HomePage, AuthorIndexPage, AuthorPage, ArticlePage, StandardPage]:
        assert not ArticlePage.can_create_at(tree[parent_type]), parent_type


def test_pages_under_an_article_an_author_or_the_corrections_page_are_refused(tree):
    for parent_type in [ArticlePage, AuthorPage, CorrectionsPage]:
        assert [model for model in PAGE_TYPES if model.can_create_at(tree[parent_type])] == []


def test_a_second_home_page_author_index_or_corrections_page_is_refused(tree):
    assert HomePage.can_exist_under(tree[Page])
    assert not HomePage.can_create_at(tree[Page])
    assert AuthorIndexPage.can_exist_under(tree[HomePage])
    assert not AuthorIndexPage.can_create_at(tree[HomePage])
    assert CorrectionsPage.can_exist_under(tree[HomePage])
    assert not CorrectionsPage.can_create_at(tree[HomePage])


def test_the_first_corrections_page_can_be_created(tree):
    tree[CorrectionsPage].delete()

    assert CorrectionsPage.can_create_at(HomePage.objects.get(pk=tree[HomePage].pk))


def add_form(admin_client, model, parent):
    """What the admin answers a superuser asking for the form to add ``model`` under
    ``parent``: 200 with the form, or Wagtail's refusal (a redirect to the dashboard)."""
    app_label, model_name = model._meta.app_label, model._meta.model_name
    response = admin_client.get(
        reverse("wagtailadmin_pages:add", args=(app_label, model_name, parent.pk))
    )
    return response.status_code, response.headers.get("Location")


def test_the_admin_offers_the_add_form_only_where_the_page_type_belongs(admin_client, tree):
    refused = (302, "/admin/")

    assert add_form(admin_client, ArticlePage, tree[SectionPage]) == (200, None)
    assert add_form(admin_client, ArticlePage, tree[HomePage]) == refused
    assert add_form(admin_client, SectionPage, tree[SectionPage]) == refused
    assert add_form(admin_client, AuthorPage, tree[AuthorIndexPage]) == (200, None)
    assert add_form(admin_client, AuthorPage, tree[StandardPage]) == refused
    assert add_form(admin_client, CorrectionsPage, tree[HomePage]) == refused
