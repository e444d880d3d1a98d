"""Readers' comments in their data rights: the copy of their data holds every comment they
wrote (whatever became of it), their reports and their standing as a commenter; erasure
deletes their comments, except that one others answered stays as an empty "removed" place,
and takes their reports and commenter record with it. Another reader's comments stay."""

import json

import pytest
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.test import Client

from masthead.readers import rights
from masthead.readers.models import DataRequest, Reader
from masthead.social import actions
from masthead.social.models import Comment, Commenter, CommentReport
from tests.readers import signed_in
from tests.social.commenting import (
    fragment,
    latest_comment,
    make_editor,
    open_comments,
    post,
    report,
)

pytestmark = pytest.mark.django_db

EMAIL = "ada.commenter@example.org"
NAME = "Ada Commenter"


@pytest.fixture(autouse=True)
def no_counts_from_other_tests():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def conversation(outlet):
    """Ada wrote a comment still waiting, a published one that Sam answered, a published one
    no one answered, and reported Sam's."""
    editor = make_editor()
    open_comments(outlet.article)
    ada, sam = Client(), Client()
    ada_reader = signed_in(ada, EMAIL, name=NAME)
    signed_in(sam, "sam.other@example.org", name="Sam Other")

    def published(browser, body, **kwargs):
        assert post(browser, outlet.article, body, **kwargs).status_code == 200
        return actions.ApproveComment(latest_comment(), editor).execute()

    post(ada, outlet.article, "Ada's waiting comment.")
    waiting = latest_comment()
    answered = published(ada, "Ada's answered comment.")
    sams = published(sam, "Sam answers Ada.", parent=answered.pk)
    alone = published(ada, "Ada's lonely comment.", name="A. C.")
    report(ada, sams, "abuse")
    return {
        "reader": ada_reader,
        "answered": answered,
        "sams": sams,
        "alone": alone,
        "waiting": waiting,
    }


def test_the_copy_of_their_data_holds_their_comments_and_reports(outlet, conversation):
    data = rights.gather(conversation["reader"])["social"]

    assert [row["text"] for row in data["comments"]] == [
        "Ada's waiting comment.",
        "Ada's answered comment.",
        "Ada's lonely comment.",
    ]
    assert [row["status"] for row in data["comments"]] == [
        "Waiting for moderation",
        "Published",
        "Published",
    ]
    assert data["comments"][2]["name_shown"] == "A. C."
    assert data["comments"][0]["article"] == outlet.article.title
    assert data["comments"][0]["article_url"].endswith(outlet.article.url)
    assert data["reports"] == [
        {
            "comment": conversation["sams"].pk,
            "reason": "Abusive or hateful",
            "reported_at": data["reports"][0]["reported_at"],
        }
    ]
    assert data["commenter"][0]["standing"] == "Trusted"
    assert "Sam answers Ada." not in json.dumps(data, cls=DjangoJSONEncoder)


def test_a_reader_who_never_commented_has_empty_tables(outlet):
    reader = signed_in(Client(), "quiet@example.org")
    assert rights.gather(reader)["social"] == {"commenter": [], "comments": [], "reports": []}


def test_erasure_removes_their_comments_and_keeps_others_replies_readable(
    client, outlet, conversation
):
    reader = conversation["reader"]
    data_request = rights.open_request(reader, DataRequest.Kind.ERASURE)

    assert rights.carry_out_erasure(data_request.pk) == DataRequest.Status.DONE

    assert not Reader.objects.filter(email=EMAIL).exists()
    answered = Comment.objects.get(pk=conversation["answered"].pk)
    assert answered.status == "removed"
    assert (answered.body, answered.author_name, answered.commenter_id) == ("", "", None)
    assert not Comment.objects.filter(
        pk__in=[conversation["alone"].pk, conversation["waiting"].pk]
    ).exists()
    assert Comment.objects.get(pk=conversation["sams"].pk).status == "approved"
    assert CommentReport.objects.count() == 0
    assert not Commenter.objects.filter(reader__email=EMAIL).exists()
    assert Commenter.objects.count() == 1  # Sam's

    shown = fragment(client, outlet.article).content.decode()
    assert "This comment was removed." in shown
    assert "Sam answers Ada." in shown
    for trace in ("Ada's", NAME, "A. C.", EMAIL):
        assert trace not in shown
    every_comment = json.dumps(list(Comment.objects.values()), cls=DjangoJSONEncoder)
    for trace in ("Ada's", NAME, "A. C.", EMAIL):
        assert trace not in every_comment
