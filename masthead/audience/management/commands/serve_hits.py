"""The ``serve_hits`` command (``masthead serve_hits``): the hit listener.

In production nginx passes ``/a/hit`` and ``/a/hit.gif`` to it (see
``deploy/nginx-masthead.conf`` and ``deploy/masthead-hits.service``), so hits never take a
gunicorn worker. ``masthead.audience.listener`` says what it is and why.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from masthead.audience import listener


def host_and_port(bind):
    host, colon, port = bind.rpartition(":")
    if not colon or not port.isdigit():
        raise CommandError(f"{bind!r} is not HOST:PORT.")
    return host.strip("[]") or "127.0.0.1", int(port)


class Command(BaseCommand):
    help = "Serve the audience hit endpoint (/a/hit, /a/hit.gif) on its own listener."

    def add_arguments(self, parser):
        parser.add_argument(
            "--bind",
            default=settings.AUDIENCE_LISTENER_BIND,
            help="HOST:PORT to listen on (AUDIENCE_LISTENER_BIND, default %(default)s).",
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=settings.AUDIENCE_LISTENER_PROCESSES,
            help="Processes sharing the socket (AUDIENCE_LISTENER_PROCESSES, default %(default)s).",
        )

    def handle(self, *args, **options):
        if not settings.AUDIENCE_ENABLED:
            raise CommandError("Counting is off (AUDIENCE_ENABLED=0): there is nothing to serve.")
        if options["processes"] < 1:
            raise CommandError("--processes must be at least 1.")
        host, port = host_and_port(options["bind"])
        self.stdout.write(f"Taking hits on http://{options['bind']}/a/hit", ending="\n")
        self.stdout.flush()
        listener.serve(host, port, options["processes"])
