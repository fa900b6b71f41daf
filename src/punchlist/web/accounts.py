"""allauth's hooks and the account rules around them.

Nobody signs themselves up: an administrator adds people to an organization (People screen), with a one-time
password that must be changed at the first sign-in (3.5.9). Administrators and approvers cannot switch their
authenticator off (3.5.3), and by default neither can anyone else; repeated failures lock the account for the rest of the window (3.1.8) and the page
says so in words.
"""

from __future__ import annotations

import base64
import logging
import secrets
import time

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.base.forms import AuthenticateForm as _MfaAuthenticateForm
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from punchlist.orgs.models import Membership, Role

from . import lockout

# Sign-ins, failures, lockouts and sign-outs, one line each (3.1.8, 3.3.1): to the process's stderr, which
# gunicorn and systemd keep (settings.LOGGING). The register's audit trail records what people change.
security_log = logging.getLogger("punchlist.security")

# Roles whose members must sign in with a second factor (3.5.3: privileged accounts, and those who approve
# closures of the register's items).
MFA_ROLES = (Role.ADMIN, Role.APPROVER)


def lockout_policy() -> tuple[int, int]:
    """(failures, minutes) of the first lock of an account at one address (settings.PUNCHLIST_LOCKOUT)."""
    policy = settings.PUNCHLIST_LOCKOUT
    return policy["account_failures"], policy["minutes"]


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": "This account is locked after {attempts} failed sign-ins. Wait {minutes} "
                                   "minutes and try again, or ask an administrator of your organization.",
        "too_many_attempts_from_address": "Too many failed sign-ins from your address. Wait {minutes} minutes "
                                          "and try again.",
        "username_password_mismatch": "The username or the password is not correct. After {attempts} failed "
                                      "attempts the account is locked for {minutes} minutes.",
    }

    def get_client_ip(self, request) -> str:
        """The browser's address through PUNCHLIST_TRUSTED_PROXIES proxies (punchlist.web.lockout), for the
        security log and allauth's own rate limits alike."""
        return lockout.client_ip(request)

    def pre_authenticate(self, request, **credentials):
        """Refused while this account is locked at this address, or this address is (punchlist.web.lockout),
        in place of allauth's count, which keys on the account alone and so lets anyone lock anyone out."""
        self._lock = lockout.locked(request, credentials.get("username", ""))
        if self._lock is not None:
            raise self.validation_error("too_many_login_attempts" if self._lock.scope == lockout.ACCOUNT
                                        else "too_many_attempts_from_address")

    def authenticate(self, request, **credentials):
        try:
            return super().authenticate(request, **credentials)
        except ValidationError as exc:
            if exc.code in ("too_many_login_attempts", "too_many_attempts_from_address"):
                what = "account" if exc.code == "too_many_login_attempts" else "address"
                security_log.warning("sign-in refused, %s locked: username=%r ip=%s", what,
                                     credentials.get("username", ""), _ip(self, request))
            raise

    def authentication_failed(self, request, **credentials):
        username = credentials.get("username", "")
        ip = _ip(self, request)
        security_log.warning("sign-in failed: username=%r ip=%s", username, ip)
        started = lockout.record_failure(request, username)
        if started is not None:
            security_log.warning("locked for %d minutes: %s username=%r ip=%s", started.minutes, started.scope,
                                 username if started.scope == lockout.ACCOUNT else "", ip)

    def login(self, request, user):
        super().login(request, user)
        security_log.info("signed in: username=%r ip=%s", user.get_username(), _ip(self, request))

    def logout(self, request):
        username = request.user.get_username() if request.user.is_authenticated else ""
        super().logout(request)
        if username:
            security_log.info("signed out: username=%r ip=%s", username, _ip(self, request))

    def validation_error(self, code, *args):
        error = super().validation_error(code, *args)
        if code in ("too_many_login_attempts", "too_many_attempts_from_address", "username_password_mismatch"):
            attempts, minutes = lockout_policy()
            lock = getattr(self, "_lock", None)
            if lock is not None and code != "username_password_mismatch":
                minutes = lock.minutes
            error = ValidationError(error.message.format(attempts=attempts, minutes=minutes), code=code)
        return error

    def is_open_for_signup(self, request):
        return False

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """Setting up a first authenticator right after signing in with the password (and seeing its recovery
        codes) does not ask for the password again: the sign-in is the proof, for REAUTHENTICATION_TIMEOUT.
        Changing factors that existed before this sign-in does."""
        from datetime import datetime, timezone

        from allauth.account import app_settings
        from allauth.account.internal.flows.login import get_authentication_records
        from allauth.core import context

        request = context.request
        if app == "allauth.mfa" and request is not None and request.user.is_authenticated:
            signed_in = [record["at"] for record in get_authentication_records(request, request.user)
                         if record.get("method") == "password" and "at" in record
                         and time.time() - record["at"] < app_settings.REAUTHENTICATION_TIMEOUT]
            if signed_in and not Authenticator.objects.filter(
                    user=request.user,
                    created_at__lt=datetime.fromtimestamp(max(signed_in), tz=timezone.utc)).exists():
                return False
        return super().is_reauthentication_required(app=app, **kwargs)

    def clean_password(self, password, user=None):
        """Django's validators (AUTH_PASSWORD_VALIDATORS, 3.5.7), and a new password is a new one (3.5.8)."""
        password = super().clean_password(password, user=user)
        if user is not None and user.pk is not None and user.has_usable_password() \
                and user.check_password(password):
            raise ValidationError("Choose a password different from your current one.")
        return password

    def set_password(self, user, password):
        with transaction.atomic():
            super().set_password(user, password)
            from .models import TemporaryPassword

            TemporaryPassword.objects.filter(user=user).delete()


def _ip(adapter, request) -> str:
    if request is None:  # no request (management commands)
        return "-"
    return lockout.client_ip(request)


class AuthenticateForm(_MfaAuthenticateForm):
    """allauth's second-factor form, with each wrong code written to the security log."""

    def _emit_authentication_failed(self, authenticator):
        from allauth.core import context

        security_log.warning("second factor failed: username=%r ip=%s", self.user.get_username(),
                             _ip(DefaultAccountAdapter(), context.request))
        super()._emit_authentication_failed(authenticator)


class MfaAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": "Your account must keep two-factor authentication on.",
        "incorrect_code": "That code is not right. Type the 6-digit code your authenticator app shows now.",
    }

    # The TOTP secret and the recovery codes' seed, as allauth stores them: encrypted (3.5.10). Stored values
    # without the prefix are from before encryption and are read as they are.
    ENCRYPTED = "fernet:"

    def encrypt(self, text: str) -> str:
        return self.ENCRYPTED + _secrets_cipher().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(self.ENCRYPTED):
            return encrypted_text
        return _secrets_cipher().decrypt(encrypted_text[len(self.ENCRYPTED):].encode()).decode()

    def can_delete_authenticator(self, authenticator):
        if authenticator.type == Authenticator.Type.RECOVERY_CODES:
            return True
        return not requires_mfa(authenticator.user)


def _secrets_cipher():
    """Fernet keys derived from the secret key and its fallbacks: after a key rotation (the old key moved to
    SECRET_KEY_FALLBACKS) the stored secrets still open, and new ones are written with the new key."""
    from cryptography.fernet import Fernet, MultiFernet
    from django.utils.crypto import salted_hmac

    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([Fernet(base64.urlsafe_b64encode(
        salted_hmac("punchlist.web.accounts.MfaAdapter", "mfa-secrets", secret=key, algorithm="sha256").digest()))
        for key in keys])


def requires_mfa(user) -> bool:
    """Everyone (PUNCHLIST_REQUIRE_MFA=everyone, the default: 3.5.3 asks a second factor for network access to
    every account); with PUNCHLIST_REQUIRE_MFA=privileged, administrators and approvers only. Someone invited
    to an organization is not a member until they accept, and takes on nothing from it before."""
    if mfa_for_everyone():
        return True
    return Membership.objects.filter(user=user, role__in=MFA_ROLES).exists()


def mfa_for_everyone() -> bool:
    return getattr(settings, "PUNCHLIST_REQUIRE_MFA", "everyone") != "privileged"


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def activate_totp(user, secret: str | None = None) -> str:
    """Give ``user`` a TOTP authenticator (and recovery codes) through allauth's own API, as the Security
    page does, unless they have one; return its secret. Used by the demo and the tests, which need to know
    the secret."""
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    with transaction.atomic():
        existing = totp_secret(user)
        if existing is None:
            secret = secret or generate_totp_secret()
            TOTP.activate(user, secret)
        elif secret is not None and secret != existing:
            raise ValueError(f"{user.username} has an authenticator already, with another secret")
        RecoveryCodes.activate(user)
    return existing or secret


def totp_secret(user) -> str | None:
    """The stored TOTP secret of ``user`` (the demo prints it; nothing else shows it)."""
    from allauth.mfa.utils import decrypt

    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    return decrypt(authenticator.data["secret"]) if authenticator else None


def current_totp_code(secret: str) -> str:
    """The code an authenticator app shows now for ``secret``."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD))


def totp_uri(user, secret: str) -> str:
    from allauth.mfa.adapter import get_adapter

    return get_adapter().build_totp_url(user, secret)


def one_time_password() -> str:
    """A password that passes every validator, to be changed at the first sign-in (3.5.9)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:
        password = "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))
        if any(c.isdigit() for c in password) and any(c.isalpha() for c in password):
            return password


def needs_password_change(user) -> bool:
    from .models import TemporaryPassword

    return TemporaryPassword.objects.filter(user=user).exists()


def add_new_person(actor, organization, *, username: str, role: str, email: str = "", first_name: str = "",
                   last_name: str = "") -> tuple[Membership, str]:
    """A new member with a one-time password, which is returned to be shown once and never stored in clear."""
    from punchlist.orgs import services

    from .models import TemporaryPassword

    password = one_time_password()
    with transaction.atomic():
        membership = services.add_new_member(actor, organization, username=username, role=role, password=password,
                                             email=email, first_name=first_name, last_name=last_name)
        TemporaryPassword.objects.create(user=membership.user)
    return membership, password


def reset_to_one_time_password(actor, membership: Membership, *, reason: str = "") -> str:
    from punchlist.orgs import services

    from .models import TemporaryPassword

    password = one_time_password()
    with transaction.atomic():
        services.set_one_time_password(actor, membership, password, reason=reason)
        TemporaryPassword.objects.update_or_create(user=membership.user)
    return password


def unlock(request, user) -> None:
    """Lift the failed sign-in locks of ``user`` (password at every address, and second factor), as allauth
    does after a password reset; an administrator who gives a one-time password also lifts the lockout."""
    from allauth.core import ratelimit

    lockout.forgive(user.username)
    ratelimit.clear(request, action="login_failed", key=f"mfa-auth-user-{user.pk}")
