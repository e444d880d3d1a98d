"""Registers the social web's admin: one "Social web" menu holding its viewsets, one
"Comments" menu for moderation, an article's "Social network posts" and "Comments" items in
its edit screen's header menu, and the audit-log wording of moderation. The viewsets and
views are in ``admin/``, the moderation actions in ``actions``."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.menus.pages import PageMenuItem
from wagtail.admin.viewsets.base import ViewSetGroup

from masthead.publishing.models import ArticlePage
from masthead.social import actions
from masthead.social.admin import comments, social_web


class SocialAdminGroup(ViewSetGroup):
    menu_label = _("Social web")
    menu_icon = "globe"
    menu_order = 260
    items = social_web.viewsets


class CommentsAdminGroup(ViewSetGroup):
    menu_label = _("Comments")
    menu_icon = "comment"
    menu_order = 255
    items = comments.viewsets


class SocialPostsMenuItem(PageMenuItem):
    """Leads from an article to the accounts it is posted to and the links of its posts."""

    label = _("Social network posts")
    icon_name = "link-external"
    url_name = "social_posts:article"
    priority = 66

    def is_shown(self, user):
        return self.page.permissions_for_user(user).can_edit()


class ArticleCommentsMenuItem(PageMenuItem):
    """Leads from an article to its comments switch (off, open, closed)."""

    label = _("Comments")
    icon_name = "comment"
    url_name = "social_conversations:article"
    priority = 67

    def is_shown(self, user):
        return user.has_perm(actions.CHANGE_CONVERSATION)


@hooks.register("register_admin_viewset")
def register_social_admin():
    return SocialAdminGroup()


@hooks.register("register_admin_viewset")
def register_comments_admin():
    return CommentsAdminGroup()


@hooks.register("register_page_header_buttons")
def social_posts_button(page, user, view_name, next_url=None):
    if issubclass(page.specific_class or type(page), ArticlePage):
        yield SocialPostsMenuItem(page=page)
        yield ArticleCommentsMenuItem(page=page)


@hooks.register("register_log_actions")
def register_moderation_log_actions(log_actions):
    for action, label, message in actions.LOG_ACTIONS:
        log_actions.register_action(action, label, message)
