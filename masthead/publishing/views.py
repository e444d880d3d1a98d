"""Reader-facing views that are not Wagtail pages: search and tag listings.

Both take their input straight from the address bar, so anything may arrive: a query that
is too long, only punctuation, NUL bytes, several ``q`` parameters, a page number that is
not a number. Each gets a clear answer (a message, an empty result or a 404), never an
error page.
"""

import re

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from taggit.models import Tag
from wagtail.models import Site

from masthead.core.search import search_groups
from masthead.publishing.models import (
    ArticlePageTag,
    ArticlesWithTag,
    any_view_restriction,
    paginate,
    site_articles,
)

MAX_QUERY_LENGTH = 200
SEARCH_RESULTS_PER_PAGE = 20


def _site(request):
    site = Site.find_for_request(request)
    if site is None:
        raise Http404(_("There is no site at this address."))
    return site


def _site_articles(request):
    # The cards' pictures (with their renditions) and authors in three queries for the
    # whole page of results, and only when a card is rendered afresh (ListingBatch).
    return site_articles(_site(request).root_page)


def clean_query(raw):
    """The query as we search for it: control characters such as NUL (databases refuse
    them) and double quotes (SQLite's full-text search reads them as syntax, and Wagtail
    passes them on unescaped) become spaces, and runs of white space one space."""
    printable = "".join(
        character if character.isprintable() and character != '"' else " " for character in raw
    )
    return " ".join(printable.split())


def search(request):
    """Search the site's live, public articles for ``?q=``, a page of results at a time.

    The template gets ``query`` (what was searched for), ``results`` (a page of articles,
    or None when nothing was searched), ``search_groups`` (the matches of every other
    registered search source, such as the shop's products, on the first page only) and
    ``error`` (a message for the reader, or None).
    """
    query = clean_query(request.GET.get("q", ""))
    context = {
        "query": query,
        "results": None,
        "search_groups": [],
        "error": None,
        "meta_title": _("Search"),
        "meta_noindex": True,
    }
    if len(query) > MAX_QUERY_LENGTH:
        context["query"] = query[:MAX_QUERY_LENGTH]
        context["error"] = _(
            "Searches can be at most %(limit)d characters long. Please shorten yours."
        ) % {"limit": MAX_QUERY_LENGTH}
        return render(request, "publishing/search.html", context, status=400)
    if query:
        results = _site_articles(request).search(query)
        context["results"] = paginate(request, results, per_page=SEARCH_RESULTS_PER_PAGE)
        if context["results"].number == 1:
            context["search_groups"] = search_groups(query)
    return render(request, "publishing/search.html", context)


TAG_SLUG = re.compile(r"[-\w]{1,100}")


def tag(request, slug):
    """The site's live, public articles with one tag, newest first; a tag that no such
    article carries is a 404, so drafts do not reveal their tags."""
    if not TAG_SLUG.fullmatch(slug):
        # No tag has such a slug; some (a NUL byte) PostgreSQL would refuse even to compare.
        raise Http404(_("There are no articles with this tag."))
    found = Tag.objects.filter(slug=slug).first()
    # The articles tagged, as a subquery rather than a join: a join needs DISTINCT over
    # every column of the articles for both the count and the page, which SQLite sorts.
    tagged = ArticlePageTag.objects.filter(tag__slug=slug).values("content_object_id")
    if found is None:
        raise Http404(_("There are no articles with this tag."))
    if any_view_restriction():
        articles = paginate(request, _site_articles(request).filter(pk__in=tagged))
    else:
        # While no page is private: counted and paged on the page table (ArticlesWithTag).
        root = _site(request).root_page
        articles = paginate(request, ArticlesWithTag(root, tagged, request.GET.get("page", 1)))
    if not articles.paginator.count:
        raise Http404(_("There are no articles with this tag."))
    context = {
        "tag": found,
        "articles": articles,
        "meta_title": found.name,
        "meta_description": _("Articles about %(tag)s") % {"tag": found.name},
    }
    return render(request, "publishing/tag.html", context)
