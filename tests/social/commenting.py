"""Helpers of the comments tests: a reader's posts and reports as the fragment's forms send
them (from a page of this site), the fragment and the article as any reader gets them, and
editors with and without the moderators' permissions."""

import re

from django.contrib.auth.models import Group, User

from masthead.publishing.roles import CONTRIBUTORS, EDITORS
from masthead.social import comments
from masthead.social.models import Comment

# The test client's requests come to this host; a form on its pages sends this Origin.
ORIGIN = "http://testserver"


def open_comments(article):
    """An editor opens the article's comments (they are off until then)."""
    return comments.set_state(article, "open")


def post(client, article, body, *, name="", parent=None, origin=ORIGIN, **extra):
    """Send a comment as the fragment's form does; returns the response."""
    data = {"body": body, "name": name}
    if parent is not None:
        data["parent"] = str(parent)
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    return client.post(f"/social/articles/{article.pk}/comments/new/", data, **headers, **extra)


def report(client, comment, reason="abuse", origin=ORIGIN):
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    return client.post(f"/social/comments/{comment.pk}/report/", {"reason": reason}, **headers)


def fragment(client, article):
    """The article's comments fragment, as comments.js fetches it."""
    return client.get(f"/social/articles/{article.pk}/comments/fragment/")


def shown_comment_ids(html):
    """The ids of the comments a fragment or page shows, in order."""
    return [int(number) for number in re.findall(r'id="comment-(\d+)"', html)]


def latest_comment():
    return Comment.objects.order_by("-pk").first()


def make_editor(username="desk-editor"):
    """A newsroom editor (the Editors group: moderators of comments)."""
    user = User.objects.create_user(username, f"{username}@newsroom.test", "pw")
    user.groups.add(Group.objects.get(name=EDITORS))
    return user


def make_contributor(username="freelancer"):
    """A contributor: reaches the admin, may not moderate."""
    user = User.objects.create_user(username, f"{username}@newsroom.test", "pw")
    user.groups.add(Group.objects.get(name=CONTRIBUTORS))
    return user
