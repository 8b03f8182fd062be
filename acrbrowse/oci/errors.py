"""Registry failures as typed errors: a one-line reason, and a way out as data (`Hint`).

This layer says what happened; it never words advice for one front end. The CLI (cli/common.py
`advice`) and the UI (ui/app.py `failure_line`) each word the hint their own way."""

from __future__ import annotations

import enum
from collections.abc import Iterable

from acrbrowse import boundedjson


class Hint(enum.Enum):
    """What a person can do about a failure; each front end words it (flags, keys, dialogs)."""

    RAISE_TIMEOUT = "raise_timeout"  # try again, or allow more time
    TRY_LATER = "try_later"  # the registry is throttling or failing: try again later
    CHECK_NETWORK = "check_network"  # check the registry name and the network
    PLAIN_HTTP = "plain_http"  # the registry may speak plain HTTP
    CA_CERT = "ca_cert"  # the registry may use a private certificate authority
    SIGN_IN = "sign_in"  # credentials are needed
    SIGN_IN_AGAIN = "sign_in_again"  # the credentials given were refused
    SIGN_IN_OR_NAME_REPOSITORY = "sign_in_or_name_repository"  # anonymous users can't list repositories
    NAME_A_REPOSITORY = "name_a_repository"  # no catalog: name a repository instead
    NAME_A_REGISTRY = "name_a_registry"  # no registry was given
    GIVE_USERNAME = "give_username"  # a password came without a username
    KEYRING = "keyring"  # no usable keyring: unlock or install one, or give the secret per run
    CHOOSE_PLATFORM = "choose_platform"  # an index: say which platform's image (or name one by digest)


class RegistryError(Exception):
    """Base class. str(error) (= .message = .reason) is what happened, one line, never a secret and
    never a front end's advice; `hint` is the way out as data, `registry` what the hint is about."""

    def __init__(self, message: str, *, hint: Hint | None = None, registry: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.registry = registry

    @property
    def reason(self) -> str:
        return self.message

    def __str__(self) -> str:
        return self.message


class InvalidReference(RegistryError, ValueError):
    """Malformed user input: a registry, repository, tag or digest that cannot be."""


class AuthenticationRequired(RegistryError):
    """The registry wants credentials and none were given."""


class AuthenticationFailed(RegistryError):
    """Credentials were given and refused: wrong user, password or token."""


class AccessDenied(RegistryError):
    """The credential is valid but lacks the right for this action."""


class CatalogDenied(AccessDenied):
    """The credential cannot list repositories (repository-scoped token, or no catalog on this registry)."""


class NotFound(RegistryError):
    pass


class RepositoryNotFound(NotFound):
    pass


class ManifestNotFound(NotFound):
    pass


class RateLimited(RegistryError):
    def __init__(self, message: str, retry_after: float | None = None, *, hint: Hint | None = Hint.TRY_LATER,
                 registry: str = "") -> None:
        super().__init__(message, hint=hint, registry=registry)
        self.retry_after = retry_after


class ServerError(RegistryError):
    def __init__(self, message: str, status_code: int = 0, *, hint: Hint | None = Hint.TRY_LATER,
                 registry: str = "") -> None:
        super().__init__(message, hint=hint, registry=registry)
        self.status_code = status_code


class Unreachable(RegistryError):
    pass


class TLSFailure(Unreachable):
    pass


class Timeout(RegistryError):
    pass


class IntegrityError(RegistryError):
    """Content did not hash to the digest it was asked for or announced with."""


class MalformedResponse(RegistryError):
    """The registry answered something that is not what the API promises."""


class UnreadableLayer(RegistryError):
    """A layer whose files cannot be listed: not a tar, a truncated or hostile archive, a foreign
    layer, a compression acrbrowse does not read."""


class RangeIgnored(RegistryError):
    """The registry answered a byte range with the whole blob (read nothing of it)."""


class InsecureRequest(RegistryError):
    """acrbrowse refused to do something that would expose credentials or follow a foreign link."""


def credentials_refused(registry: str, username: str, source: str,
                        detail: str = "wrong username, password or token") -> AuthenticationFailed:
    reason = f"{registry} refused the credentials of {username!r} (from {source or 'the given credentials'}): {detail}"
    return AuthenticationFailed(reason, hint=Hint.SIGN_IN_AGAIN, registry=registry)


def sign_in_required(registry: str) -> AuthenticationRequired:
    return AuthenticationRequired(f"{registry} requires you to sign in", hint=Hint.SIGN_IN, registry=registry)


# OCI distribution error codes and what a person reads for them.
_CODE_TEXT = {
    "NAME_UNKNOWN": "repository not found",
    "MANIFEST_UNKNOWN": "manifest not found",
    "BLOB_UNKNOWN": "blob not found",
    "NAME_INVALID": "invalid repository name",
    "TAG_INVALID": "invalid tag",
    "DIGEST_INVALID": "invalid digest",
    "UNAUTHORIZED": "authentication required",
    "DENIED": "access denied",
    "UNSUPPORTED": "operation not supported by this registry",
    "TOOMANYREQUESTS": "too many requests",
}


def oci_errors(body: bytes) -> list[dict]:
    """The `errors` list of an OCI error body, or [] when the body is not one."""
    try:
        data = boundedjson.loads(body)
    except ValueError:  # not JSON, not UTF-8, or nested too deep
        return []
    errors = data.get("errors") if isinstance(data, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def oci_error_codes(body: bytes) -> set[str]:
    return {str(e.get("code", "")).upper() for e in oci_errors(body)}


def oci_error_summary(body: bytes, secrets: Iterable[str] = ()) -> str:
    """'code: message' of the first OCI error, single line and bounded, or ''.

    Each of `secrets` is masked: a server may echo what it was sent (a bad refresh token, say)."""
    for error in oci_errors(body):
        code = str(error.get("code", "")).upper()
        message = " ".join(str(error.get("message") or _CODE_TEXT.get(code, "")).split())
        text = f"{code}: {message}" if code else message
        for secret in secrets:
            if secret:
                text = text.replace(secret, "********")
        return text[:200]
    return ""
