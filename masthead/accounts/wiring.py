"""The accounts app's connections to Django's own events, made once from
``AccountsConfig.ready()``: failed and successful sign-ins feed the lockouts, and changes to
roles and settings made in the admin are written to the audit log."""

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save
from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting

from masthead.accounts import audit, throttling


def connect():
    """Connect the lockouts to sign-ins, and the audit log to role and settings changes."""
    user_login_failed.connect(
        throttling.count_failed_sign_in, dispatch_uid="accounts-count-failed-sign-in"
    )
    user_logged_in.connect(
        throttling.forget_failures_on_sign_in, dispatch_uid="accounts-forget-failures"
    )
    user_model = get_user_model()
    m2m_changed.connect(
        audit.log_group_membership,
        sender=user_model.groups.through,
        dispatch_uid="accounts-audit-groups",
    )
    m2m_changed.connect(
        audit.log_group_permissions,
        sender=Group.permissions.through,
        dispatch_uid="accounts-audit-permissions",
    )
    pre_save.connect(audit.remember_status, sender=user_model, dispatch_uid="accounts-status")
    post_save.connect(
        audit.log_status_change, sender=user_model, dispatch_uid="accounts-audit-status"
    )
    for model in apps.get_models():
        if issubclass(model, (BaseSiteSetting, BaseGenericSetting)):
            pre_save.connect(
                audit.remember_setting, sender=model, dispatch_uid=f"accounts-{model._meta.label}"
            )
            post_save.connect(
                audit.log_setting_change,
                sender=model,
                dispatch_uid=f"accounts-audit-{model._meta.label}",
            )
