"""The ``setup_roles`` command: re-apply the newsroom's roles and review workflow."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from wagtail.snippets.models import get_snippet_models

from masthead.publishing.roles import ROLES, apply_roles


class Command(BaseCommand):
    """Create or complete the Contributors, Editors and Administrators groups and the
    "Editorial review" workflow, including permissions on every model registered as a
    snippet since the roles were first created."""

    help = (
        "Create or complete the Contributors, Editors and Administrators groups and the "
        "'Editorial review' workflow. Only adds what is missing; safe to run again."
    )

    def handle(self, *args, **options):
        snippet_models = [
            (model._meta.app_label, model._meta.model_name) for model in get_snippet_models()
        ]
        with transaction.atomic():
            apply_roles(apps, snippet_models=snippet_models)
        names = ", ".join(role.name for role in ROLES)
        self.stdout.write(self.style.SUCCESS(f"Roles ready: {names}."))
