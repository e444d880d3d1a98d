"""The social web in reader pages: the outlet's fediverse handle for the site's "follow us"
block (core's footer), and an article's comments (its placeholder, and a comment's text)."""

from django import template
from django.conf import settings

from masthead.social import comment_text, comments
from masthead.social.documents import handle_host
from masthead.social.models import Conversation

register = template.Library()


@register.inclusion_tag("social/includes/fediverse_handle.html")
def fediverse_handle():
    """The handle (@news@host) as selectable text, with a copy button that its script shows."""
    return {"handle": f"@{settings.SOCIAL_ACTOR_NAME}@{handle_host()}"}


@register.simple_tag
def comments_state(article):
    """Whether ``article`` has a comments section, and whether it is open. What editors set
    (a page-cache generation changes with it), never what readers post: the article's
    cached page holds only the placeholder that the comments fragment fills."""
    if article is None or article.pk is None:
        return comments.State(Conversation.State.OFF)
    return comments.state_of(article)


@register.filter
def comment_html(text):
    """A comment's plain text as safe HTML, its addresses linked ``rel="nofollow ugc"``."""
    return comment_text.render(text)
