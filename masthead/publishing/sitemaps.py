"""sitemap.xml: every live, public page of the Wagtail site the request is for, with the
time it was last published as its lastmod.

Served by Wagtail's sitemap view, which hands each sitemap the request so that page URLs
are those of the site being asked for.
"""

from wagtail.contrib.sitemaps import Sitemap

sitemaps = {"pages": Sitemap}
