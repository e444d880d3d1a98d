"""The article edit form refuses what the database would refuse, with a message."""

import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from masthead.publishing.models import ArticlePage
from tests.publishing.factories import make_article, make_author, make_site_tree

pytestmark = pytest.mark.django_db


def article_form_data(title, authors, initial=0):
    return nested_form_data(
        {
            "title": title,
            "slug": "quay-wall-repaired",
            "standfirst": "The harbour wall is fixed.",
            "article_type": "news",
            "article_authors": inline_formset(authors, initial=initial),
            "body": streamfield([("paragraph", rich_text("<p>Work finished on time.</p>"))]),
            "tags": "",
            "sources": inline_formset([]),
            "corrections": inline_formset([]),
        }
    )


def test_naming_the_same_author_twice_is_refused_with_a_message(admin_client):
    tree = make_site_tree()
    author = make_author(tree.author_index, name="Sam Reed")
    data = article_form_data("Quay wall repaired", [{"author": author.pk}, {"author": author.pk}])
    data["action-publish"] = "action-publish"

    response = admin_client.post(
        reverse("wagtailadmin_pages:add", args=["publishing", "articlepage", tree.section.pk]),
        data,
    )

    assert response.status_code == 200
    assert "Please correct the duplicate values below." in response.content.decode()
    assert not ArticlePage.objects.filter(title="Quay wall repaired").exists()


def test_removing_an_author_and_adding_them_again_in_one_edit_saves(admin_client):
    tree = make_site_tree()
    author = make_author(tree.author_index, name="Sam Reed")
    article = make_article(tree.section, authors=[author], title="Quay wall repaired")
    existing = article.article_authors.get()
    data = article_form_data(
        "Quay wall repaired",
        [{"id": existing.pk, "author": author.pk, "DELETE": "1"}, {"author": author.pk}],
        initial=1,
    )
    data["action-publish"] = "action-publish"

    response = admin_client.post(reverse("wagtailadmin_pages:edit", args=[article.pk]), data)

    assert response.status_code == 302
    assert ArticlePage.objects.get(pk=article.pk).author_list == [author]


def test_two_different_authors_are_saved_in_byline_order(admin_client):
    tree = make_site_tree()
    first = make_author(tree.author_index, name="Sam Reed")
    second = make_author(tree.author_index, name="Priya Lane")
    make_article(tree.section, title="Unrelated story")
    data = article_form_data("Quay wall repaired", [{"author": first.pk}, {"author": second.pk}])
    data["action-publish"] = "action-publish"

    response = admin_client.post(
        reverse("wagtailadmin_pages:add", args=["publishing", "articlepage", tree.section.pk]),
        data,
    )

    assert response.status_code == 302
    article = ArticlePage.objects.get(title="Quay wall repaired")
    assert article.live
    assert article.author_list == [first, second]
