"""The ``upgrade`` management command: what a new version needs once its code is in place.

``masthead upgrade`` runs, in this order:

1. ``migrate`` and ``collectstatic --no-input``, with the service's environment;
2. a graceful reload of the web server (gunicorn's HUP): new workers, which import the new
   code, start before the old ones are told to stop, and the old ones finish the requests
   they hold (gunicorn_config.py keeps ``preload_app`` off so that the new workers really
   import the new code, rather than being forked from a master holding the old);
3. ``masthead cache clear``: a new page-cache generation, started only once every old worker
   has gone, so that no process running the old code can fill the new generation with pages
   that link to the old static files.

The environment matters: run from a fresh shell, ``migrate`` would read no ``DATABASE_URL``
and migrate a throwaway SQLite file. ``--env-file`` reads the same file the systemd unit
reads (as ``set -a; . FILE`` would) and runs the whole upgrade again with it.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

DEFAULT_SERVICE = "masthead-web"
DEFAULT_RELOAD_TIMEOUT = 60.0
POLL_SECONDS = 0.1


def read_env_file(path):
    """The environment a shell has after ``set -a; . PATH; set +a``, as a dict.

    bash itself reads the file, so the values are exactly those the README's commands see
    (and tests/deploy/test_env_example.py keeps the example file the same for systemd).
    """
    path = Path(path)
    if not path.is_file():
        raise CommandError(f"--env-file {path}: no such file.")
    bash = shutil.which("bash")
    if bash is None:
        raise CommandError("--env-file needs bash to read the file; none was found.")
    result = subprocess.run(  # noqa: S603 - fixed argv, the path is an argument, not code
        [bash, "-c", 'set -a; . "$1" >/dev/null; exec env -0', "bash", str(path.resolve())],
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip()
        raise CommandError(f"--env-file {path}: bash could not read it: {message}")
    environment = {}
    for entry in result.stdout.decode(errors="surrogateescape").split("\0"):
        name, separator, value = entry.partition("=")
        if separator and name:
            environment[name] = value
    return environment


def _parent_pid(pid):
    """The parent of process ``pid`` from /proc, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split on the last.
    return int(stat.rpartition(")")[2].split()[1])


def children_of(pid):
    """The process ids whose parent is ``pid`` (gunicorn's workers, for its master)."""
    children = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _parent_pid(entry.name) == pid:
            children.add(int(entry.name))
    return children


def _is_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _parent_pid(pid) is not None


class Command(BaseCommand):
    """Migrate, collect static files, reload the web server gracefully, empty the page cache."""

    help = (
        "After installing a new version: migrate, collectstatic, reload the web server "
        "gracefully (systemctl reload masthead-web, or HUP to the gunicorn in --pidfile), "
        "then empty the page cache. --env-file loads the service's environment first."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--env-file",
            help="Load this environment file first, as `set -a; . FILE` would "
            "(e.g. /etc/masthead/masthead.env), then run the upgrade with it.",
        )
        reload = parser.add_mutually_exclusive_group()
        reload.add_argument(
            "--pidfile",
            help="Reload the gunicorn whose master's process id is in this file "
            "(gunicorn --pid; the systemd unit writes /run/masthead-web/gunicorn.pid), "
            "by sending it HUP directly: no root needed when run as the service's user.",
        )
        reload.add_argument(
            "--service",
            default=DEFAULT_SERVICE,
            help="Reload this systemd unit with `systemctl reload` (default: %(default)s).",
        )
        reload.add_argument(
            "--no-reload",
            action="store_true",
            help="Do not reload the web server; reload it yourself, then run "
            "`masthead cache clear`.",
        )
        parser.add_argument(
            "--reload-timeout",
            type=float,
            default=DEFAULT_RELOAD_TIMEOUT,
            help="Seconds to wait for the old workers to finish (default: %(default)s).",
        )

    def handle(self, *args, **options):
        if options["env_file"]:
            return self._run_again_with(options)
        master = None if options["no_reload"] else self._find_master(options)

        self.stdout.write("Migrating the database...")
        call_command("migrate", interactive=False, stdout=self.stdout, stderr=self.stderr)
        self.stdout.write("Collecting static files...")
        call_command(
            "collectstatic", interactive=False, verbosity=0, stdout=self.stdout, stderr=self.stderr
        )
        if master is None:
            call_command("cache", "clear", stdout=self.stdout)
            self.stdout.write(
                "Not reloading the web server (--no-reload): reload it now, then run "
                "`masthead cache clear` again so no old worker's page stays cached."
            )
            return None
        self._reload(master, options)
        call_command("cache", "clear", stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Upgrade done."))
        return None

    # --- The environment -----------------------------------------------------------------

    def _run_again_with(self, options):
        """Run ``masthead upgrade`` in a new process with the env file's environment: this
        process's settings were read from the shell's environment and cannot be read again."""
        environment = read_env_file(options["env_file"])
        command = [sys.executable, "-m", "masthead.cli", "upgrade"]
        if options["no_reload"]:
            command.append("--no-reload")
        elif options["pidfile"]:
            command += ["--pidfile", options["pidfile"]]
        else:
            command += ["--service", options["service"]]
        command += ["--reload-timeout", str(options["reload_timeout"])]
        self.stdout.write(f"Loaded {options['env_file']}.")
        self.stdout.flush()
        result = subprocess.run(command, env=environment, check=False)  # noqa: S603
        if result.returncode != 0:
            raise CommandError(f"The upgrade failed (exit status {result.returncode}).")
        return None

    # --- The reload ------------------------------------------------------------------------

    def _find_master(self, options):
        """The running gunicorn master's process id, checked before anything is changed."""
        if options["pidfile"]:
            path = Path(options["pidfile"])
            try:
                pid = int(path.read_text().strip())
            except (OSError, ValueError) as error:
                raise CommandError(
                    f"--pidfile {path}: cannot read a process id ({error}). Is the web "
                    "server running with gunicorn's --pid?"
                ) from error
            if not _is_alive(pid):
                raise CommandError(f"--pidfile {path}: no process {pid} is running.")
            return pid
        if shutil.which("systemctl") is None:
            raise CommandError(
                "No systemctl here to reload the web server: give --pidfile (gunicorn's "
                "--pid file) or --no-reload."
            )
        result = subprocess.run(  # noqa: S603
            ["systemctl", "show", "--property=MainPID", "--value", options["service"]],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
        pid = int(result.stdout.strip() or 0) if result.returncode == 0 else 0
        if pid <= 0:
            raise CommandError(
                f"The systemd unit {options['service']} is not running: start it, or give "
                "--pidfile or --no-reload."
            )
        return pid

    def _reload(self, master, options):
        """Ask gunicorn for a graceful reload and wait until none of its old workers is left."""
        old_workers = children_of(master)
        if options["pidfile"]:
            self.stdout.write(f"Reloading the web server (HUP to gunicorn, pid {master})...")
            os.kill(master, signal.SIGHUP)
        else:
            service = options["service"]
            self.stdout.write(f"Reloading the web server (systemctl reload {service})...")
            result = subprocess.run(  # noqa: S603
                ["systemctl", "reload", options["service"]],  # noqa: S607
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise CommandError(
                    f"systemctl reload {options['service']} failed: {result.stderr.strip()}"
                )
        deadline = time.monotonic() + options["reload_timeout"]
        while True:
            if not _is_alive(master):
                raise CommandError(
                    f"The web server (pid {master}) stopped during the reload: the new code "
                    "may not start; see its log (journalctl -u masthead-web)."
                )
            workers = children_of(master)
            if workers and not workers & old_workers:
                break
            if time.monotonic() > deadline:
                raise CommandError(
                    f"Old workers still running {options['reload_timeout']:g} seconds after "
                    "the reload; the page cache was not cleared."
                )
            time.sleep(POLL_SECONDS)
        self.stdout.write(f"Web server reloaded: {len(workers)} new workers.")
