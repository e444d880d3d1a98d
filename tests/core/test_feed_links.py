"""The home page advertises the site's feed in both formats it is published in, so a feed
reader that prefers Atom finds it from the address of the site alone."""

from html.parser import HTMLParser

import pytest

from tests.publishing.factories import make_site_tree


class AlternateLinks(HTMLParser):
    """The (type, href, title) of every <link rel="alternate"> in a page."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") == "alternate":
            self.found.append((attrs.get("type"), attrs.get("href"), attrs.get("title")))


@pytest.mark.django_db
def test_the_home_page_links_its_atom_feed_beside_the_rss_one(client):
    make_site_tree()
    links = AlternateLinks()

    links.feed(client.get("/").content.decode())

    [(_, _, title), _] = links.found
    assert links.found == [
        ("application/rss+xml", "/feed/", title),
        ("application/atom+xml", "/feed/atom/", title),
    ]
    assert client.get("/feed/atom/")["Content-Type"].startswith("application/atom+xml")
