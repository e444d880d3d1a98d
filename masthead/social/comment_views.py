"""Readers' side of comments: the comments of an article, posting one, reporting one.

The article page is cached whole and shows no comment: its comments section is a
placeholder that ``social/comments.js`` fills with the **fragment** (``fragment``), the same
for every reader, kept by the page cache like a page and tagged, so a comment published or
hidden renders it afresh without touching the cached article
(``masthead.social.comments``). Without JavaScript the placeholder links to the **comments
page** (``page``), the same fragment inside the site's layout, cached the same way. Neither
ever looks at who is asking.

Threat model. The forms sit in a shared, cached fragment, so they carry no CSRF token; the
endpoints defend themselves as the house's other cached forms do, in ways that survive
caching: the ``Origin`` (or ``Referer``) must be this site (403 otherwise), the reader must
be signed in (their session cookie is ``SameSite=Lax``, so a cross-site form post does not
carry it anyway), and rate limits cap comments per reader and per network and reports per
reader (refusing, 503, if the shared cache that counts them is down). Every refusal answers
a page that says why and keeps what the reader wrote in the form, with a deliberate status:
400 bad input, 403 not allowed (closed, banned, not signed in, another site), 404 no such
article or comment, 409 the thread changed, 429 too many. The text is plain text, checked
by ``comment_text`` and escaped when shown. These answers look at the reader, so they are
private (``ReaderMiddleware``) and never cached.
"""

from django.conf import settings
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from masthead.core import page_tags, ratelimit
from masthead.core.origin import is_same_site
from masthead.publishing.models import ArticlePage
from masthead.readers.sessions import current_reader
from masthead.social import comment_text, comments
from masthead.social.forms import CommentForm
from masthead.social.models import Comment, CommentReport

NOT_FROM_HERE = _("We only accept comments and reports sent from a form on our own site.")
SIGN_IN_TO_COMMENT = _(
    "You need to be signed in to comment. Your comment is kept below: sign in (it opens in "
    "a new tab), then come back here and send it."
)
TOO_MANY = _("You have sent a lot of comments in a short time. Please wait a while and try again.")


def _live_article(pk):
    return get_object_or_404(ArticlePage.objects.live().public(), pk=pk)


def conversation_context(article):
    """What the fragment shows: the state of the article's comments and its threads. The
    fragment's tag is named first, so a change committed while this is read is never taken
    as shown."""
    page_tags.tag(comments.comments_tag(article.pk))
    return {
        "article": article,
        "state": comments.state_of(article),
        "threads": comments.threads_for(article),
        "report_reasons": CommentReport.Reason.choices,
        "max_chars": f"{comment_text.MAX_CHARS:,}",
        "comments_page": reverse("social:comments", args=[article.pk]),
    }


@require_GET
def fragment(request, pk):
    """The article's comments and forms, for ``comments.js`` to put in the page."""
    article = _live_article(pk)
    context = conversation_context(article)
    if not context["state"].is_shown:
        return render(request, "social/comments/none.html", status=404)
    response = render(request, "social/comments/fragment.html", context)
    response["X-Robots-Tag"] = "noindex"
    # Shared caches keep it (the page cache, and nginx's for EDGE_CACHE_SECONDS), but a
    # browser asks again every time: a comment published a moment ago must show.
    patch_cache_control(response, public=True, max_age=0)
    return response


@require_GET
def page(request, pk):
    """The article's comments in the site's layout (the placeholder's link without
    JavaScript, and where a reader comes back to)."""
    article = _live_article(pk)
    context = conversation_context(article)
    if not context["state"].is_shown:
        return render(request, "social/comments/none.html", status=404)
    return render(request, "social/comments/page.html", context)


def _form_page(request, article, form, status, message="", *, signed_out=False):
    """The reader's comment again, with what went wrong: nothing they wrote is lost."""
    context = {
        "article": article,
        "form": form,
        "message": message,
        "signed_out": signed_out,
        "body": form.data.get("body", ""),
        "name": form.data.get("name", ""),
        "parent": form.data.get("parent", ""),
        "comments_page": reverse("social:comments", args=[article.pk]),
        "max_chars": f"{comment_text.MAX_CHARS:,}",
    }
    return render(request, "social/comments/form_page.html", context, status=status)


def _within_limits(request, reader, what, per_reader):
    """Count one ``what`` (comment or report) for the reader and for their network."""
    limit, window = per_reader
    if not ratelimit.allow(
        f"social-{what}-reader:{reader.pk}", limit, window, when_unavailable=ratelimit.REFUSE
    ):
        return False
    network = ratelimit.client_network(request) or "unknown"
    limit, window = settings.SOCIAL_COMMENT_LIMIT_PER_IP
    return ratelimit.allow(
        f"social-{what}-ip:{network}", limit, window, when_unavailable=ratelimit.REFUSE
    )


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def post_comment(request, pk):
    """Receive a comment or a reply from the fragment's forms (see the threat model)."""
    article = _live_article(pk)
    if request.method != "POST":
        return redirect("social:comments", article.pk)
    form = CommentForm(request.POST)
    if not is_same_site(request):
        return _form_page(request, article, form, 403, NOT_FROM_HERE)
    reader = current_reader(request)
    if reader is None:
        return _form_page(request, article, form, 403, SIGN_IN_TO_COMMENT, signed_out=True)
    if not _within_limits(request, reader, "comment", settings.SOCIAL_COMMENT_LIMIT_PER_READER):
        return _form_page(request, article, form, 429, TOO_MANY)
    if not form.is_valid():
        return _form_page(request, article, form, 400)
    try:
        comment = comments.post(
            reader,
            article,
            form.cleaned_data["body"],
            name=form.cleaned_data["name"],
            parent_id=form.cleaned_data["parent"],
        )
    except comments.Refused as refusal:
        return _form_page(request, article, form, refusal.status, refusal.message)
    return render(request, "social/comments/posted.html", {"article": article, "comment": comment})


def _message_page(request, comment, title, message, status=200):
    return render(
        request,
        "social/comments/message.html",
        {"comment": comment, "title": title, "message": message},
        status=status,
    )


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def report_comment(request, pk):
    """A signed-in reader reports a published comment."""
    comment = get_object_or_404(
        Comment.objects.select_related("article").filter(article__live=True), pk=pk
    )
    if request.method != "POST":
        return redirect("social:comments", comment.article_id)
    title = _("Report a comment")
    if not is_same_site(request):
        return _message_page(request, comment, title, NOT_FROM_HERE, 403)
    reader = current_reader(request)
    if reader is None:
        return _message_page(
            request, comment, title, _("You need to be signed in to report a comment."), 403
        )
    if not _within_limits(request, reader, "report", settings.SOCIAL_REPORT_LIMIT_PER_READER):
        return _message_page(request, comment, title, TOO_MANY, 429)
    try:
        result = comments.report(reader, comment.pk, request.POST.get("reason", ""))
    except comments.Refused as refusal:
        return _message_page(request, comment, title, refusal.message, refusal.status)
    message = (
        _("You have already reported this comment. An editor will look at it.")
        if result.already_reported
        else _("Thank you. An editor will look at this comment.")
    )
    return _message_page(request, comment, _("Comment reported"), message)
