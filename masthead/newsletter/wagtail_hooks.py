"""Puts the newsletter's admin views under one "Newsletter" menu item."""

from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup

from masthead.newsletter import campaign_admin, subscriber_admin


class NewsletterAdminGroup(ViewSetGroup):
    menu_label = "Newsletter"
    menu_icon = "mail"
    menu_order = 250
    items = [*campaign_admin.viewsets, *subscriber_admin.viewsets]


@hooks.register("register_admin_viewset")
def register_newsletter_admin():
    return NewsletterAdminGroup()
