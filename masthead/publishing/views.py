"""Reader-facing views that are not Wagtail pages: search and tag listings."""

from django.shortcuts import render

from masthead.publishing.models import live_articles, paginate


def search(request):
    query = request.GET.get("q", "").strip()
    results = live_articles().search(query) if query else live_articles().none()
    return render(request, "publishing/search.html", {"query": query, "results": results})


def tag(request, slug):
    articles = paginate(request, live_articles().filter(tags__slug=slug))
    return render(request, "publishing/tag.html", {"tag_slug": slug, "articles": articles})
