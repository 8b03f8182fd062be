"""Credential errors: values with one human line each, never carrying a secret."""

from __future__ import annotations

from acrbrowse.oci.errors import Hint


class CredentialError(Exception):
    """Base class: str(error) is one line meant for a person: what happened, never a front end's
    advice. `hint` is the way out as data; the CLI and the UI word it."""

    hint: Hint | None = None


class KeyringUnavailable(CredentialError):
    """No usable OS keyring: none installed, locked, unreachable over D-Bus, or it dropped a write.

    `reason` is the short cause (no secret in it); the hint is the ways out.
    """

    hint = Hint.KEYRING

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"No usable keyring ({reason})")


class KeyringEntryCorrupt(CredentialError):
    """The keyring holds a header for a registry but its chunks are missing or don't add up."""


class DockerConfigError(CredentialError):
    """Docker's config.json is unreadable or has an entry that can't be decoded."""


class CredentialHelperError(DockerConfigError):
    """A docker-credential-NAME helper is missing, timed out, failed or printed nonsense."""


class IncompleteCredential(CredentialError):
    """A password was given without a username (or the other way round where both are needed)."""

    def __init__(self, message: str, hint: Hint | None = None) -> None:
        super().__init__(message)
        self.hint = hint
