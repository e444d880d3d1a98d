"""Wagtail admin for newsletters, subscribers and the suppression list."""

from wagtail.admin.viewsets.model import ModelViewSet

from masthead.newsletter.models import Newsletter, Subscriber, Suppression


class NewsletterViewSet(ModelViewSet):
    model = Newsletter
    icon = "mail"
    form_fields = ["name", "slug", "description", "is_public", "sort_order"]
    list_display = ["name", "slug", "is_public"]


class SubscriberViewSet(ModelViewSet):
    model = Subscriber
    icon = "user"
    form_fields = ["email", "name"]
    list_display = ["email", "status", "created_at"]


class SuppressionViewSet(ModelViewSet):
    model = Suppression
    icon = "warning"
    form_fields = ["email", "reason", "detail"]
    list_display = ["email", "reason", "created_at"]


viewsets = [NewsletterViewSet("newsletters"), SubscriberViewSet("subscribers"), SuppressionViewSet("suppressions")]
