"""Registers the social web's admin: one "Social web" menu holding its viewsets."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup

from masthead.social import admin


class SocialAdminGroup(ViewSetGroup):
    menu_label = _("Social web")
    menu_icon = "globe"
    menu_order = 260
    items = admin.viewsets


@hooks.register("register_admin_viewset")
def register_social_admin():
    return SocialAdminGroup()
