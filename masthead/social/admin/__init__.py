"""The social web in Wagtail's admin: followers, blocks, followable authors, reactions,
deliveries and social network accounts and posts (``social_web``), and the comments'
moderation queue, switches, word list and legally sensitive marks (``comments``).
``wagtail_hooks`` registers them under the "Social web" and "Comments" menus."""
