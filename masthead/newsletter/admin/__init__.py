"""The newsletter's admin views and viewsets, registered from ``wagtail_hooks.py``."""
