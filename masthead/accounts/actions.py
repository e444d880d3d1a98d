"""An administrator's change to another person's sign-in, as a ``core.actions.Action``: it
checks the administrator's permission and writes who did it to Wagtail's audit log."""

from masthead.accounts import two_factor
from masthead.core.actions import Action, ActionNotPermitted


class ResetTwoFactor(Action):
    """Remove a person's authenticator app and recovery codes (they lost their phone), so
    that they sign in with their password alone, or enrol again where it is required.

    Open to those who may change users; only a superuser may reset a superuser's, so that
    an administrator cannot weaken a more powerful account."""

    permission = "auth.change_user"
    log_action = "accounts.two_factor_reset"

    def check(self):
        super().check()
        if self.instance.is_superuser and not self.user.is_superuser:
            raise ActionNotPermitted(
                f"{self.user.username} may not reset a superuser's two-factor authentication."
            )

    def perform(self):
        self.log_data = {"had_two_factor": two_factor.has_two_factor(self.instance)}
        two_factor.remove_devices(self.instance)
