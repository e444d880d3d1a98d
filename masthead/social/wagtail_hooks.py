"""Registers the social web's admin: one "Social web" menu holding its viewsets, and an
article's "Social network posts" item in its edit screen's header menu."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.menus.pages import PageMenuItem
from wagtail.admin.viewsets.base import ViewSetGroup

from masthead.publishing.models import ArticlePage
from masthead.social import admin


class SocialAdminGroup(ViewSetGroup):
    menu_label = _("Social web")
    menu_icon = "globe"
    menu_order = 260
    items = admin.viewsets


class SocialPostsMenuItem(PageMenuItem):
    """Leads from an article to the accounts it is posted to and the links of its posts."""

    label = _("Social network posts")
    icon_name = "link-external"
    url_name = "social_posts:article"
    priority = 66

    def is_shown(self, user):
        return self.page.permissions_for_user(user).can_edit()


@hooks.register("register_admin_viewset")
def register_social_admin():
    return SocialAdminGroup()


@hooks.register("register_page_header_buttons")
def social_posts_button(page, user, view_name, next_url=None):
    if issubclass(page.specific_class or type(page), ArticlePage):
        yield SocialPostsMenuItem(page=page)
