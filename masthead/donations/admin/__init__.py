"""The donations' admin views and viewsets, registered from ``wagtail_hooks.py``."""
