"""Every email names the outlet's own host (SITE_URL's) in its Message-ID, not whatever the
server machine happens to be called."""

import email
import email.policy
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import send_mail

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent


def test_an_email_sent_over_smtp_has_a_message_id_at_the_site_url_host(smtp_mailbox):
    send_mail("Your receipt", "Thank you.", "newsroom@example.org", ["reader@example.org"])

    [received] = smtp_mailbox.wait_for(1)
    host = urlsplit(settings.SITE_URL).hostname
    assert received.message["Message-ID"].endswith(f"@{host}>")


def test_the_message_id_host_comes_from_site_url_when_the_site_starts(tmp_path):
    outbox = tmp_path / "outbox"
    environment = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}
    environment.update(
        {
            "MASTHEAD_DATA_DIR": str(tmp_path),
            "SITE_URL": "https://news.example.org",
            "EMAIL_URL": f"file://{outbox}",
        }
    )
    send = (
        "from django.core.mail import send_mail; "
        "send_mail('Hello', 'Body', 'newsroom@example.org', ['reader@example.org'])"
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", send],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    [written] = list(outbox.iterdir())
    message = email.message_from_bytes(written.read_bytes(), policy=email.policy.default)
    assert message["Message-ID"].endswith("@news.example.org>")
