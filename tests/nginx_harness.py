"""Run the shipped nginx config (deploy/nginx-masthead.conf) on loopback, in front of
Masthead servers a test or a benchmark started itself.

The config is used as shipped, with only what ties it to a real machine rewritten:

- the port-80 server (ACME and the redirect to HTTPS) is dropped, and the HTTPS server
  listens on plain HTTP at 127.0.0.1:<free port>, its ``ssl_*`` lines removed (loopback has
  no certificate; Django then sees ``X-Forwarded-Proto: http``, so run it with
  ``SECURE_SSL_REDIRECT=0``);
- the ``masthead`` upstream lists the given ``host:port`` addresses, and the
  ``masthead_hits`` upstream (the hit listener) the ``hit_listener`` address when one is
  given;
- the micro-cache, static, media and protected-media paths point into a temporary
  directory (or the directories given);
- a small main ``nginx.conf`` around it (pid, logs, temp paths in the same directory).

Everything else (the micro-cache, its bypass rules, the locations, the proxy headers) is
the shipped text, so a test through this server tests what operators install.

API (stable; other tests import it)::

    from tests.nginx_harness import NGINX, nginx_missing_reason, start_nginx

    if NGINX is None:
        pytest.skip(nginx_missing_reason())
    server = start_nginx(["127.0.0.1:8001", "127.0.0.1:8002"], tmp_path)
    try:
        urllib.request.urlopen(server.url + "/")   # server.url: "http://127.0.0.1:<port>"
    finally:
        server.stop()

``start_nginx(upstreams, directory, *, static_root=None, media_root=None,
hit_listener=None, worker_processes="1", access_log=True, ready_timeout=10) -> NginxServer``

``NginxServer``: ``.url``, ``.port``, ``.directory``, ``.config_path`` (the main config),
``.site_path`` (the rendered site file), ``.cache_dir``, ``.error_log``, ``.access_log``
(paths), ``.process``, ``.stop()`` (idempotent; also a context manager) and
``.error_log_text()``.

``render_site(upstreams, directory, port, ...) -> str`` returns the rewritten site file
alone, for a test that only wants to read or ``nginx -t`` it.
"""

import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
SHIPPED_CONFIG = PROJECT_DIR / "deploy" / "nginx-masthead.conf"
NGINX = shutil.which("nginx") or next(
    (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(path).exists()), None
)
MIME_TYPES = Path("/etc/nginx/mime.types")
HOST = "127.0.0.1"

SHIPPED_CACHE_DIR = "/var/cache/nginx/masthead"
SHIPPED_STATIC_ROOT = "/var/lib/masthead/static/"
SHIPPED_MEDIA_ROOT = "/var/lib/masthead/media/"


def nginx_missing_reason():
    """Why a test that needs nginx cannot run here (for pytest.skip)."""
    return "nginx is not installed (apt-get install nginx-light)"


def free_port():
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _strip_redirect_server(text):
    """Drop the port-80 server block (ACME challenge and the redirect to HTTPS)."""
    start = text.index("server {")
    depth, position = 0, start
    while True:
        character = text[position]
        if character == "{":
            depth += 1
        elif character == "}":
            depth -= 1
            if depth == 0:
                break
        position += 1
    block = text[start : position + 1]
    if "listen 80;" not in block:
        raise ValueError("the first server block of the shipped config is not the port-80 one")
    return text[:start] + text[position + 1 :]


def _set_upstream(text, name, addresses):
    servers = "".join(f"    server {address} fail_timeout=0;\n" for address in addresses)
    text, count = re.subn(
        rf"(upstream {name} \{{\n)(?:\s*server [^\n]*\n)+", lambda m: m.group(1) + servers, text
    )
    if count != 1:
        raise ValueError(f"no 'upstream {name}' block with servers in the shipped config")
    return text


def render_site(
    upstreams, directory, port, *, static_root=None, media_root=None, hit_listener=None
):
    """The shipped site config rewritten to run on loopback (see the module docstring)."""
    if not upstreams:
        raise ValueError("give at least one upstream address (host:port)")
    directory = Path(directory)
    text = _strip_redirect_server(SHIPPED_CONFIG.read_text())
    text = _set_upstream(text, "masthead", upstreams)
    if hit_listener:
        text = _set_upstream(text, "masthead_hits", [hit_listener])

    text, count = re.subn(r"\n\s*listen (?:\[::\]:)?443 ssl http2;", "", text)
    if count != 2:
        raise ValueError("the shipped config no longer listens on 443 as expected")
    text = text.replace("server_name ", f"listen {HOST}:{port};\n    server_name ", 1)
    text = re.sub(r"\n\s*ssl_[a-z_]+ [^\n]*;", "", text)

    cache_dir = directory / "cache"
    replacements = {
        SHIPPED_CACHE_DIR: str(cache_dir),
        SHIPPED_STATIC_ROOT: f"{Path(static_root or directory / 'static')}/",
        SHIPPED_MEDIA_ROOT: f"{Path(media_root or directory / 'media')}/",
    }
    for shipped, local in replacements.items():
        if shipped not in text:
            raise ValueError(f"{shipped} is no longer in the shipped config")
        text = text.replace(shipped, local)
    return text


@dataclass
class NginxServer:
    """A running nginx (master and workers) serving the rendered config on loopback."""

    port: int
    directory: Path
    config_path: Path
    site_path: Path
    process: subprocess.Popen
    cache_dir: Path = field(init=False)
    error_log: Path = field(init=False)
    access_log: Path = field(init=False)

    def __post_init__(self):
        self.cache_dir = self.directory / "cache"
        self.error_log = self.directory / "error.log"
        self.access_log = self.directory / "access.log"

    @property
    def url(self):
        return f"http://{HOST}:{self.port}"

    def error_log_text(self):
        return self.error_log.read_text() if self.error_log.exists() else ""

    def stop(self):
        """Stop nginx: TERM (its fast shutdown), then KILL if it lingers."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()


def _main_config(directory, site_path, worker_processes, access_log):
    directory = Path(directory)
    temp = directory / "temp"
    # Running as root, nginx's workers would switch to an unprivileged user who cannot
    # write the test's private temporary directory: keep them as the caller.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    log = f"access_log {directory / 'access.log'};" if access_log else "access_log off;"
    mime = f"include {MIME_TYPES};" if MIME_TYPES.exists() else "default_type text/html;"
    return (
        f"{user}"
        "daemon off;\n"
        f"worker_processes {worker_processes};\n"
        f"pid {directory / 'nginx.pid'};\n"
        f"error_log {directory / 'error.log'} warn;\n"
        "events { worker_connections 4096; }\n"
        "http {\n"
        f"    {mime}\n"
        f"    {log}\n"
        "    sendfile on;\n"
        "    tcp_nopush on;\n"
        f"    client_body_temp_path {temp / 'body'};\n"
        f"    proxy_temp_path {temp / 'proxy'};\n"
        f"    fastcgi_temp_path {temp / 'fastcgi'};\n"
        f"    uwsgi_temp_path {temp / 'uwsgi'};\n"
        f"    scgi_temp_path {temp / 'scgi'};\n"
        f"    include {site_path};\n"
        "}\n"
    )


def start_nginx(
    upstreams,
    directory,
    *,
    static_root=None,
    media_root=None,
    hit_listener=None,
    worker_processes="1",
    access_log=True,
    ready_timeout=10,
):
    """Render the shipped config for ``upstreams`` (["127.0.0.1:8001", ...]) into
    ``directory`` and start nginx on a free loopback port; return once it answers."""
    if NGINX is None:
        raise RuntimeError(nginx_missing_reason())
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("cache", "static", "media", "temp"):
        (directory / name).mkdir(exist_ok=True)
    port = free_port()
    site_path = directory / "masthead-site.conf"
    site_path.write_text(
        render_site(
            upstreams,
            directory,
            port,
            static_root=static_root,
            media_root=media_root,
            hit_listener=hit_listener,
        )
    )
    config_path = directory / "nginx.conf"
    config_path.write_text(_main_config(directory, site_path, worker_processes, access_log))

    command = [NGINX, "-p", str(directory), "-e", str(directory / "error.log"), "-c"]
    checked = subprocess.run(
        [*command, str(config_path), "-t"], capture_output=True, text=True, check=False
    )
    if checked.returncode != 0:
        raise RuntimeError(f"nginx -t refused the rendered config:\n{checked.stderr}")
    process = subprocess.Popen(
        [*command, str(config_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    server = NginxServer(port, directory, config_path, site_path, process)
    deadline = time.monotonic() + ready_timeout
    while True:
        if process.poll() is not None:
            log = server.error_log_text()
            raise RuntimeError(f"nginx exited with {process.returncode}:\n{log}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return server
        except OSError as error:
            if time.monotonic() > deadline:
                server.stop()
                log = server.error_log_text()
                raise RuntimeError(f"nginx did not listen in time:\n{log}") from error
            time.sleep(0.05)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def get(url, headers=None, method="GET", data=None, timeout=30):
    """One request on a new connection: (status, headers, body as text). Redirects are not
    followed, and an HTTP error status is returned, not raised, so a test can assert on
    3xx, 4xx and 5xx answers too."""
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Connection": "close", **(headers or {})}
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode(errors="replace")
