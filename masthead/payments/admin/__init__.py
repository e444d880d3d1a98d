"""The payments app's admin viewsets, registered from ``wagtail_hooks.py``."""
