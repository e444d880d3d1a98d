"""The `masthead` command: demo, serve, worker, and every Django management command.

masthead demo      set up the demo outlet and serve it with its task worker
masthead serve     run the web server (gunicorn) on MASTHEAD_BIND (127.0.0.1:8000)
masthead worker    run the background task worker (also publishes scheduled pages)
masthead upgrade          after installing a new version: migrate, collectstatic, reload
                          the web server gracefully, empty the page cache (--env-file FILE)
masthead cache clear      empty the page cache for every web process (after an upgrade)
masthead backup [PATH]    one archive of the database, the media and a manifest
masthead restore ARCHIVE  put an archive back into an empty database and media root
masthead use_site_url     give the default site SITE_URL's address (upgrade does it too)
masthead serve_hits       the hit listener for the audience's counting hits, to which
                          nginx sends /a/hit in production (AUDIENCE_LISTENER_BIND)
masthead <cmd>     any management command: migrate, createsuperuser, check, ...
"""

import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys

from django.core.exceptions import ImproperlyConfigured

DEFAULT_BIND = "127.0.0.1:8000"
# prctl(2): ask for a signal when the parent process dies.
PR_SET_PDEATHSIG = 1


def _django(argv):
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


def _gunicorn_command(extra_args):
    bind = os.environ.get("MASTHEAD_BIND", DEFAULT_BIND)
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "masthead.wsgi:application",
        "--config",
        "python:masthead.gunicorn_config",
        "--bind",
        bind,
        *extra_args,
    ]


def _binds(command):
    """Every address a gunicorn command line would listen on."""
    binds = []
    for position, argument in enumerate(command):
        if argument in {"-b", "--bind"} and position + 1 < len(command):
            binds.append(command[position + 1])
        elif argument.startswith("--bind="):
            binds.append(argument.split("=", 1)[1])
    return binds


def _refuse_demo_key_beyond_loopback(command):
    """Stop before serving when the public demo key would face other machines."""
    from masthead.settings import demo_key_refusal

    refusal = demo_key_refusal(_binds(command))
    if refusal:
        raise ImproperlyConfigured(refusal)


def serve(extra_args):
    """Run gunicorn in the foreground, replacing this process."""
    command = _gunicorn_command(extra_args)
    _refuse_demo_key_beyond_loopback(command)
    os.execv(command[0], command)  # noqa: S606 - our own fixed argv, no shell


def _stop_with_parent():
    """Ask Linux to send this process SIGTERM when its parent dies, so that stopping the
    `make demo` that started it (say, `timeout make demo`, which signals make alone) stops
    the demo, its server and its worker too. Elsewhere this does nothing."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    # The parent may have gone already, before the request was made.
    if os.getppid() == 1:
        os.kill(os.getpid(), signal.SIGTERM)


def demo(extra_args):
    """Migrate, build the demo outlet if it is not there yet, then serve it with a worker.

    Static files need no collectstatic here: outside production whitenoise serves them
    from the apps' folders.
    """
    prog = sys.argv[0]
    _django([prog, "migrate", "--no-input", "-v", "0"])
    _django([prog, "demo_content", *extra_args])
    # A demo needs a couple of processes, not gunicorn's two per CPU core.
    os.environ.setdefault("WEB_CONCURRENCY", "2")
    os.environ.setdefault("GUNICORN_THREADS", "4")

    bind = os.environ.get("MASTHEAD_BIND", DEFAULT_BIND)
    print(f"\nMasthead demo outlet: http://{bind}/")
    print(f"Admin:                http://{bind}/admin/")
    print("  user: admin   password: masthead-demo   (also: editor, contributor)")
    print("Press Ctrl+C to stop.\n", flush=True)

    # Stopped by SIGTERM (kill, timeout, a service manager) as by Ctrl+C: the server and the
    # worker are stopped too, never left running without their parent.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    _stop_with_parent()
    command = _gunicorn_command([])
    _refuse_demo_key_beyond_loopback(command)
    worker = subprocess.Popen([sys.executable, "-m", "masthead.cli", "worker"])
    server = subprocess.Popen(command)  # noqa: S603
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for process in (server, worker):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (server, worker):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    return 0


def main(argv=None):
    """Run one `masthead` command; a configuration mistake is reported in one line."""
    argv = list(argv if argv is not None else sys.argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masthead.settings")
    command = argv[1] if len(argv) > 1 else "help"
    try:
        if command in {"help", "--help", "-h"} and len(argv) <= 2:
            print(__doc__.strip() + "\n")
            _django([argv[0], "help"])
        elif command == "demo":
            return demo(argv[2:])
        elif command == "serve":
            return serve(argv[2:])
        elif command == "worker":
            _django([argv[0], "run_worker", *argv[2:]])
        else:
            _django(argv)
    except ImproperlyConfigured as error:
        print(f"masthead: configuration error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
