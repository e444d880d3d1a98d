"""The admin under the outlet's own name and logo: the stylesheet of its monogram on every
admin page. The templates that name the outlet instead of Wagtail are in
``templates/wagtailadmin/`` (the sign-in page, every page's title, the sidebar's logo)."""

from django.templatetags.static import static
from django.utils.html import format_html
from wagtail import hooks


@hooks.register("insert_global_admin_css")
def outlet_branding_css():
    # The sidebar's monogram, on every admin page (the sign-in page loads it itself).
    return format_html('<link rel="stylesheet" href="{}">', static("core/branding.css"))
