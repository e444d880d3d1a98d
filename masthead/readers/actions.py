"""Editors' data-rights actions: a copy of a person's data or their erasure, asked for on
their behalf. Each checks the editor's permission, registers the request with the editor as
``requested_by`` and writes the audit log, so the admin and any command share one path.
The log names the request, never the address."""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from masthead.core.actions import Action
from masthead.readers import identity, rights, tasks
from masthead.readers.models import DataRequest

MANAGE_PERMISSION = "readers.manage_data_requests"
EXPORT_LOG_ACTION = "readers.export_on_behalf"
ERASURE_LOG_ACTION = "readers.erasure_on_behalf"
DOWNLOAD_LOG_ACTION = "readers.export_downloaded"
RETRY_LOG_ACTION = "readers.request_retried"

LOG_ACTIONS = (
    (EXPORT_LOG_ACTION, _("Export a reader's data"), _("Copy of a reader's data requested")),
    (ERASURE_LOG_ACTION, _("Erase a reader's data"), _("Erasure of a reader requested")),
    (DOWNLOAD_LOG_ACTION, _("Download a reader's data"), _("Copy of a reader's data downloaded")),
    (RETRY_LOG_ACTION, _("Retry a data request"), _("Data request run again")),
    # A reader's own erasure request, and every erasure carried out, logged by ``rights``.
    *rights.LOG_ACTIONS,
)


def may_manage(user):
    return bool(user and user.is_active and user.has_perm(MANAGE_PERMISSION))


class RequestOnBehalf(Action):
    """Register a request about the person at ``address`` on their behalf."""

    permission = MANAGE_PERMISSION
    kind = ""

    def __init__(self, address, user):
        super().__init__(None, user)
        self.address = address

    def request(self, reader):
        raise NotImplementedError

    def perform(self):
        self.instance = self.request(identity.transient(self.address))
        self.log_data = {"request": self.instance.pk, "kind": self.instance.kind}
        return self.instance


class ExportOnBehalf(RequestOnBehalf):
    log_action = EXPORT_LOG_ACTION

    def request(self, reader):
        return tasks.request_export(reader, requested_by=self.user)


class EraseOnBehalf(RequestOnBehalf):
    log_action = ERASURE_LOG_ACTION

    def request(self, reader):
        return tasks.request_erasure(reader, requested_by=self.user)


class DownloadExport(Action):
    """Hand an editor the copy an editor asked for (LinkExpired when it is gone)."""

    permission = MANAGE_PERMISSION
    log_action = DOWNLOAD_LOG_ACTION

    def perform(self):
        if self.instance.requested_by_id is None:
            # A reader's own copy is theirs alone, through their emailed link.
            raise rights.LinkExpired
        rights.ready_export(self.instance)
        rights.mark_downloaded(self.instance)
        self.log_data = {"request": self.instance.pk}
        return rights.export_path(self.instance)


class RetryRequest(Action):
    """Run a failed or waiting request again."""

    permission = MANAGE_PERMISSION
    log_action = RETRY_LOG_ACTION

    def perform(self):
        self.log_data = {"request": self.instance.pk, "kind": self.instance.kind}
        task = (
            tasks.erasure_task
            if self.instance.kind == DataRequest.Kind.ERASURE
            else tasks.build_export_task
        )
        request_id = self.instance.pk
        transaction.on_commit(lambda: task.enqueue(request_id))
        return self.instance
