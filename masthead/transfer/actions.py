"""What an Administrator does to imports from the admin, as actions: checked, performed and
written to the audit log (``masthead.core.actions``)."""

from masthead.core.actions import Action
from masthead.transfer.tasks import IMPORT_PERMISSION, START_LOG_ACTION, start_import


class StartImport(Action):
    """An Administrator starts an import from the admin: checked, queued and logged."""

    permission = IMPORT_PERMISSION
    log_action = START_LOG_ACTION

    def __init__(self, kind, files, *, options=None, dry_run=False, user=None):
        super().__init__(None, user)
        self.kind, self.files, self.options, self.dry_run = kind, files, options, dry_run

    def perform(self):
        self.instance = start_import(
            self.kind, self.files, options=self.options, dry_run=self.dry_run, user=self.user
        )
        self.log_data = {"run": self.instance.pk, "kind": self.kind, "dry_run": self.dry_run}
        return self.instance
