"""The HTTP-only nginx config for a server's first certificate (certbot's webroot).

Real nginx runs the shipped file (its port and webroot moved into a temporary directory) and
answers an ACME HTTP-01 challenge from the webroot, as certbot needs, and nothing else.
"""

import os
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.nginx_harness import NGINX, free_port, nginx_missing_reason

BOOTSTRAP = Path(__file__).resolve().parents[2] / "deploy" / "nginx-masthead-bootstrap.conf"

pytestmark = pytest.mark.skipif(NGINX is None, reason=nginx_missing_reason())


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def bootstrap_nginx(tmp_path):
    port = free_port()
    webroot = tmp_path / "letsencrypt"
    site = (
        BOOTSTRAP.read_text()
        .replace("listen 80;", f"listen 127.0.0.1:{port};")
        .replace("listen [::]:80;", "")
        .replace("/var/www/letsencrypt", str(webroot))
    )
    (tmp_path / "site.conf").write_text(site)
    # As root, nginx's workers would switch to a user who cannot read the temporary webroot.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(
        f"{user}daemon off;\n"
        f"pid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log;\n"
        "events {}\n"
        "http {\n"
        f"    access_log {tmp_path}/access.log;\n"
        f"    client_body_temp_path {tmp_path}/body;\n"
        f"    proxy_temp_path {tmp_path}/proxy;\n"
        f"    include {tmp_path}/site.conf;\n"
        "}\n"
    )
    arguments = [NGINX, "-p", str(tmp_path), "-e", str(tmp_path / "error.log")]
    arguments += ["-c", str(tmp_path / "nginx.conf")]
    checked = subprocess.run([*arguments, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    assert "[warn]" not in checked.stderr
    process = subprocess.Popen(arguments, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while True:
        try:
            urllib.request.urlopen(url, timeout=1)
        except urllib.error.HTTPError:
            break
        except OSError:
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.05)
        else:
            break
    yield url, webroot
    process.terminate()
    process.wait(10)


def test_the_challenge_is_answered_from_the_webroot_and_nothing_else(bootstrap_nginx):
    url, webroot = bootstrap_nginx
    challenge = webroot / ".well-known" / "acme-challenge"
    challenge.mkdir(parents=True)
    (challenge / "token-1234").write_text("token-1234.thumbprint")

    assert fetch(f"{url}/.well-known/acme-challenge/token-1234") == (
        200,
        "token-1234.thumbprint",
    )
    assert fetch(f"{url}/.well-known/acme-challenge/unknown")[0] == 404
    assert fetch(f"{url}/") == (503, "Masthead is being set up; HTTPS comes next.\n")
    assert fetch(f"{url}/admin/")[0] == 503


def test_the_full_config_keeps_the_same_webroot_for_renewals():
    full = (BOOTSTRAP.parent / "nginx-masthead.conf").read_text()

    assert "location /.well-known/acme-challenge/ {\n        root /var/www/letsencrypt;" in full
