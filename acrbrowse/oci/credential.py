"""A credential for one registry, with its secret kept out of every repr."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal


class Secret:
    """A string that never shows itself in repr/str, so tracebacks with locals can't leak it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self):  # never pickle the value into a file by accident
        raise TypeError("Secret cannot be pickled")


# "entra": an ACR refresh token got by exchanging an Entra ID token (`login --azure`); used like an
# identity token, and exchanged again when it expires.
CredentialKind = Literal["password", "identity_token", "entra"]
REFRESH_TOKEN_KINDS: tuple[CredentialKind, ...] = ("identity_token", "entra")
# A refresh token that expires within this many seconds is renewed before it is used.
RENEW_MARGIN = 60.0


@dataclass(frozen=True)
class Credential:
    """username + secret. kind="identity_token" is an OAuth2 refresh token (docker's identitytoken,
    `az acr login --expose-token`); it is exchanged with grant_type=refresh_token."""

    username: str
    secret: Secret = field(repr=False)
    kind: CredentialKind = "password"
    # Where it came from, for --verbose and the UI: "command line", "environment", "keyring", ...
    source: str = ""
    # For kind "entra": when the refresh token expires (seconds since the epoch; None: unknown) and
    # the Entra ID tenant it was asked for (None: the identity's own).
    expires_at: float | None = None
    tenant: str | None = None
    # For kind "entra": gets the next Credential from Entra ID once this one expires. It blocks (a
    # process, the network): call it from a thread.
    renew: Callable[[], Credential] | None = field(default=None, repr=False, compare=False)

    @property
    def is_refresh_token(self) -> bool:
        """The secret is an OAuth2 refresh token (sent with grant_type=refresh_token), not a password."""
        return self.kind in REFRESH_TOKEN_KINDS

    def expired(self, now: float, margin: float = 0.0) -> bool:
        """Whether the secret's known expiry is within `margin` seconds of `now` (wall clock)."""
        return self.expires_at is not None and now + margin >= self.expires_at

    def __repr__(self) -> str:
        return f"Credential(username={self.username!r}, kind={self.kind!r}, source={self.source!r})"
