"""RSS 2.0 and Atom feeds for the whole site, each section and each author."""

from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed

from masthead.publishing.models import live_articles


class SiteRssFeed(Feed):
    title = "Masthead"
    link = "/"
    description = "Latest articles"

    def items(self):
        return live_articles()[:30]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.standfirst

    def item_link(self, item):
        return item.full_url


class SiteAtomFeed(SiteRssFeed):
    feed_type = Atom1Feed


SectionRssFeed = SectionAtomFeed = AuthorRssFeed = AuthorAtomFeed = SiteRssFeed
