"""sitemap.xml: every live, public page of the site."""

from wagtail.contrib.sitemaps import Sitemap

sitemaps = {"pages": Sitemap}
