"""The shipped nginx config (deploy/nginx-masthead.conf) serves no private file: of the
media only renditions are served from disk, documents come through Django and its
X-Accel-Redirect to an internal location, and the Printful webhook's secret path stays out
of the access log (issue 10, defects 4 and 10). ``nginx -t`` checks the whole file where
nginx is installed."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "nginx-masthead.conf"
NGINX = shutil.which("nginx") or next(
    (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(path).exists()), None
)


def locations(config_text):
    """Each ``location`` block of the HTTPS server as {prefix: [directive, ...]}."""
    https_server = config_text[config_text.index("listen 443") :]
    found, current = {}, None
    for line in https_server.splitlines():
        line = " ".join(line.split("#")[0].split())
        opening = re.fullmatch(r"location (.+) \{", line)
        if opening:
            current = found[opening.group(1)] = []
        elif line == "}":
            current = None
        elif line and current is not None:
            current.append(line.rstrip(";"))
    return found


def test_nginx_serves_renditions_only_and_sends_documents_through_an_internal_location():
    blocks = locations(CONFIG.read_text())

    assert blocks["/media/images/"][0] == "alias /var/lib/masthead/media/images/"
    assert blocks["/media/"] == ["return 404"]
    assert blocks["/protected-media/"][:2] == ["internal", "alias /var/lib/masthead/media/"]
    aliases = [
        directive
        for directives in blocks.values()
        for directive in directives
        if directive.startswith("alias /var/lib/masthead/media")
    ]
    assert sorted(aliases) == [
        "alias /var/lib/masthead/media/",
        "alias /var/lib/masthead/media/images/",
    ]


def test_the_internal_location_is_the_one_django_redirects_to(settings):
    assert f"location {settings.MEDIA_X_ACCEL_REDIRECT_URL} " in CONFIG.read_text()


def test_the_printful_webhook_is_not_in_the_access_log():
    blocks = locations(CONFIG.read_text())

    assert blocks["/shop/webhooks/printful/"] == ["access_log off", "proxy_pass http://masthead"]


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx-light)")
def test_nginx_accepts_the_config(tmp_path):
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=news.example.org",
            "-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    # The certificates and the micro-cache's directory are the operator's to create.
    site = (
        CONFIG.read_text()
        .replace("/etc/letsencrypt/live/news.example.org", str(tmp_path))
        .replace("/var/cache/nginx/masthead", str(tmp_path / "cache"))
    )
    (tmp_path / "masthead.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log;\n"
        "events {}\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n"
        f"    include {tmp_path}/masthead.conf;\n"
        "}\n"
    )

    result = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c",
         str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
    assert "[warn]" not in result.stderr
