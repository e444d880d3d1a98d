"""The ``import`` management command behind ``masthead import <kind> FILE...``."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from masthead.transfer import importing, tasks
from masthead.transfer.models import ImportRun

TRUE_WORDS = {"true", "yes", "on", "1"}
FALSE_WORDS = {"false", "no", "off", "0"}


def option_value(text):
    """A ``--option`` value as the importers take it: true/false words as booleans, JSON
    objects and lists as such, anything else as the text given."""
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    if text.strip().startswith(("{", "[")):
        try:
            return json.loads(text)
        except ValueError as error:
            raise CommandError(f"This option value is not JSON: {text!r} ({error}).") from None
    return text


def pairs(values, flag):
    """``["a=b", ...]`` as a dict, refusing an item with no ``=`` or an empty key."""
    mapping = {}
    for item in values or ():
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            raise CommandError(f"{flag} takes key=value, not {item!r}.")
        mapping[key.strip()] = value.strip()
    return mapping


class Command(BaseCommand):
    """Import another platform's export (or a Masthead export) and print the report."""

    help = (
        "Import FILE(s) of KIND (wordpress: a WXR file; ghost: the JSON export and/or the "
        "members CSV; substack: the export ZIP; masthead: an export archive). Each item is "
        "imported in its own transaction and a re-run updates what an earlier run created; a "
        "file that cannot be imported changes nothing. Prints the report."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", help="What the files are: " + ", ".join(self.kinds()) + ".")
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Go through the whole import and report, but change nothing.",
        )
        parser.add_argument(
            "--option",
            action="append",
            metavar="KEY=VALUE",
            help="An option of the importer (e.g. uploads_dir=/srv/wp/wp-content/uploads, "
            "download=yes, create_users=yes, default_section=News, default_newsletter=daily); "
            "may be repeated.",
        )
        parser.add_argument(
            "--section-map",
            action="append",
            metavar="CATEGORY=SECTION",
            help="Put the old site's category (or Ghost primary tag) CATEGORY, by slug, in the "
            "section SECTION (its title or slug); may be repeated.",
        )
        parser.add_argument(
            "--newsletter-map",
            action="append",
            metavar="NAME=NEWSLETTER",
            help="Subscribe the old site's list or newsletter NAME to NEWSLETTER (its name or "
            "slug here); may be repeated.",
        )

    @staticmethod
    def kinds():
        return importing.importer_kinds()

    def handle(self, *args, kind, files, dry_run=False, **options):
        importer_options = {
            key: option_value(value) for key, value in pairs(options["option"], "--option").items()
        }
        for flag, key in (("--section-map", "section_map"), ("--newsletter-map", "newsletter_map")):
            mapping = pairs(options[key], flag)
            if mapping:
                importer_options[key] = {**importer_options.get(key, {}), **mapping}
        paths = [Path(name) for name in files]
        for path in paths:
            if not path.is_file():
                raise CommandError(f"There is no file {str(path)!r}.")
        try:
            importing.importer_for(kind)
        except importing.ImportFileError as error:
            raise CommandError(str(error)) from None

        run = ImportRun.objects.create(
            kind=kind,
            filename=", ".join(path.name for path in paths)[:255],
            dry_run=dry_run,
            options=importer_options,
        )
        echo = self.show_progress if sys.stderr.isatty() and options["verbosity"] > 0 else None
        report = tasks.execute(run, paths, echo=echo)
        if echo:
            self.stderr.write("")
        if report is None:
            raise CommandError(run.error)
        for line in report.lines():
            self.stdout.write(line)
        if report.failed:
            self.stdout.write(self.style.WARNING(f"{len(report.failed)} items failed."))

    def show_progress(self, done, total):
        self.stderr.write(f"\r{done}/{total}", ending="")
