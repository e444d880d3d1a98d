"""The `masthead` command: demo, serve, worker, and every Django management command.

    masthead demo      set up the demo outlet and serve it with its task worker
    masthead serve     run the web server (gunicorn) on MASTHEAD_BIND (127.0.0.1:8000)
    masthead worker    run the background task worker (also publishes scheduled pages)
    masthead <cmd>     any management command: migrate, createsuperuser, check, ...
"""

import os
import signal
import subprocess
import sys

DEFAULT_BIND = "127.0.0.1:8000"


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


def serve(extra_args):
    """Run gunicorn in the foreground, replacing this process."""
    command = _gunicorn_command(extra_args)
    os.execv(command[0], command)


def demo(extra_args):
    """Migrate, build the demo outlet if it is not there yet, then serve it with a worker."""
    prog = sys.argv[0]
    _django([prog, "migrate", "--no-input", "-v", "0"])
    _django([prog, "collectstatic", "--no-input", "-v", "0"])
    _django([prog, "demo_content", *extra_args])

    bind = os.environ.get("MASTHEAD_BIND", DEFAULT_BIND)
    print(f"\nMasthead demo outlet: http://{bind}/")
    print(f"Admin:                http://{bind}/admin/")
    print("  user: admin   password: masthead-demo   (also: editor, contributor)")
    print("Press Ctrl+C to stop.\n", flush=True)

    worker = subprocess.Popen([sys.executable, "-m", "masthead.cli", "worker"])  # noqa: S603
    server = subprocess.Popen(_gunicorn_command([]))  # noqa: S603
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
    argv = list(argv if argv is not None else sys.argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masthead.settings")
    command = argv[1] if len(argv) > 1 else "help"
    if command == "demo":
        return demo(argv[2:])
    if command == "serve":
        return serve(argv[2:])
    if command == "worker":
        argv = [argv[0], "run_worker", *argv[2:]]
    _django(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
