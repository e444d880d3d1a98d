"""The ``upgrade`` management command: what a new version needs once its code is in place.

``masthead upgrade`` runs, in this order:

1. ``check`` (which imports the new code), ``migrate``, ``use_site_url`` (the default
   Site takes SITE_URL's address) and ``collectstatic --no-input``, with the service's
   environment;
2. a rolling replacement of the web server's workers: it asks gunicorn for one more worker
   per running one (TTIN), waits until every new worker has imported the new code
   (gunicorn_config.py keeps ``preload_app`` off so that they do, and names each worker
   process ``masthead-web`` once it has), and only then retires the old ones one by one
   (TTOU), each finishing the requests it holds. Readers never wait for a worker to start,
   as they do during a plain HUP reload (``systemctl reload masthead-web``), whose new
   workers start importing as the old ones are told to stop;
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
# What masthead/gunicorn_config.py's post_worker_init names a worker once it has loaded the
# application (Linux's process name, at most 15 characters).
WORKER_READY_NAME = "masthead-web"
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


def is_ready(pid):
    """Whether worker ``pid`` has loaded the application (and so serves requests)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == WORKER_READY_NAME
    except OSError:
        return False


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
        "After installing a new version: check, migrate, collectstatic, replace the web "
        "server's workers by new ones (started before the old ones stop), then empty the page "
        "cache. --env-file loads the service's environment first."
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
            "(gunicorn --pid; the systemd unit writes /run/masthead-web/gunicorn.pid): "
            "no root needed when run as the service's user.",
        )
        reload.add_argument(
            "--service",
            default=DEFAULT_SERVICE,
            help="Reload the gunicorn this systemd unit runs (its MainPID; as root or the "
            "unit's user; default: %(default)s).",
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

        # The new code is imported and checked here, before the web server tries it.
        call_command("check", stdout=self.stdout, stderr=self.stderr)
        self.stdout.write("Migrating the database...")
        call_command("migrate", interactive=False, stdout=self.stdout, stderr=self.stderr)
        # SITE_URL is the one place the outlet's address is set: the default Site follows it.
        call_command("use_site_url", stdout=self.stdout)
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
        """Replace every worker by one running the new code, the new ones first."""
        deadline = time.monotonic() + options["reload_timeout"]
        old_workers = children_of(master)
        if not old_workers:
            raise CommandError(f"The web server (pid {master}) has no workers to replace.")
        count = len(old_workers)
        self.stdout.write(
            f"Reloading the web server (gunicorn, pid {master}): starting {count} new workers..."
        )
        # One signal at a time, each seen through before the next: signals of one kind sent
        # together may arrive as one.
        for added in range(1, count + 1):
            os.kill(master, signal.SIGTTIN)
            self._wait(
                master,
                deadline,
                lambda added=added: len(children_of(master) - old_workers) >= added,
                "the new workers to start",
            )
        new_workers = children_of(master) - old_workers
        self._wait(
            master,
            deadline,
            lambda: all(is_ready(pid) or not _is_alive(pid) for pid in new_workers),
            "the new workers to load the new code",
        )
        self.stdout.write("New workers ready; retiring the old ones...")
        for retired in range(1, count + 1):
            os.kill(master, signal.SIGTTOU)
            self._wait(
                master,
                deadline,
                lambda retired=retired: len(children_of(master) & old_workers) <= count - retired,
                "the old workers to finish their requests",
            )
        self.stdout.write(f"Web server reloaded: {len(children_of(master))} new workers.")

    def _wait(self, master, deadline, condition, what):
        while not condition():
            if not _is_alive(master):
                raise CommandError(
                    f"The web server (pid {master}) stopped during the reload: the new code "
                    "may not start; see its log (journalctl -u masthead-web)."
                )
            if time.monotonic() > deadline:
                raise CommandError(
                    f"Gave up waiting for {what} (--reload-timeout); the page cache was not "
                    "cleared. See the web server's log."
                )
            time.sleep(POLL_SECONDS)
