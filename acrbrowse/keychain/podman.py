"""Podman's (and skopeo's, buildah's) credentials: containers-auth.json(5).

The files, in the order containers/image reads them: $REGISTRY_AUTH_FILE, else
$XDG_RUNTIME_DIR/containers/auth.json; then $XDG_CONFIG_HOME/containers/auth.json
(~/.config/containers/auth.json). The first file with an entry for the registry wins. Their
`auths` have Docker's shape (keychain/docker_config.py reads an entry); a key is host[:port]
(Docker Hub's is `docker.io`), an old `https://host/v1/` URL, or host/namespace for a login that
covers part of a registry only, which is not used for the registry as a whole. Credential helpers
named in these files are not run here: Docker's config is where acrbrowse runs helpers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from acrbrowse.keychain.docker_config import (
    convert_to_hostname,
    credential_from_auth_entry,
    read_config_file,
    registry_for_key,
)
from acrbrowse.keychain.errors import DockerConfigError
from acrbrowse.oci.credential import Credential
from acrbrowse.oci.name import normalize_registry

SOURCE = "podman auth file"


def auth_file_paths(env: Mapping[str, str] = os.environ) -> list[Path]:
    """Where Podman keeps logins, in the order they are read."""
    paths: list[Path] = []
    if env.get("REGISTRY_AUTH_FILE"):
        paths.append(Path(env["REGISTRY_AUTH_FILE"]).expanduser())
    elif env.get("XDG_RUNTIME_DIR"):
        paths.append(Path(env["XDG_RUNTIME_DIR"]) / "containers" / "auth.json")
    config_home = env.get("XDG_CONFIG_HOME")
    if config_home:
        paths.append(Path(config_home) / "containers" / "auth.json")
    else:
        home = env.get("HOME") or env.get("USERPROFILE")
        paths.append((Path(home) if home else Path.home()) / ".config" / "containers" / "auth.json")
    return paths


def _auths(path: Path) -> dict[str, Mapping[str, Any]] | None:
    """The file's `auths` (entries that are objects), or None without a file. DockerConfigError
    (one line) when it can't be used."""
    doc = read_config_file(path)
    if doc is None:
        return None
    auths = doc.get("auths")
    if auths is not None and not isinstance(auths, dict):
        raise DockerConfigError(f"{path}: 'auths' should be a JSON object; fix it")
    return {key: entry for key, entry in (auths or {}).items() if isinstance(entry, dict)}


def _registry_of(key: str) -> str | None:
    """The registry a key stands for, or None for a host/namespace key (part of a registry)."""
    if "://" not in key and "/" in key:
        return None
    return registry_for_key(convert_to_hostname(key))


def _files(env: Mapping[str, str]) -> Iterator[tuple[Path, dict[str, Mapping[str, Any]]]]:
    for path in auth_file_paths(env):
        auths = _auths(path)
        if auths is not None:
            yield path, auths


def podman_credential(registry: str, *, env: Mapping[str, str] = os.environ) -> Credential | None:
    """The credential Podman would use for the whole of `registry`, or None. Raises DockerConfigError."""
    registry = normalize_registry(registry)
    for path, auths in _files(env):
        keys = sorted((key for key in auths if _registry_of(key) == registry), key=lambda key: key != registry)
        for key in keys:
            credential = credential_from_auth_entry(auths[key], key=key, path=path)
            if credential is not None:
                return replace(credential, source=SOURCE)
    return None


def podman_known_registries(env: Mapping[str, str] = os.environ, *,
                            notes: list[str] | None = None) -> list[tuple[str, str | None]]:
    """(registry, username or None) for every whole-registry login in Podman's files."""
    found: dict[str, str | None] = {}
    try:
        for path, auths in _files(env):
            for key, entry in auths.items():
                registry = _registry_of(key)
                if registry is None or registry in found:
                    continue
                try:
                    credential = credential_from_auth_entry(entry, key=key, path=path)
                except DockerConfigError:
                    credential = None
                found[registry] = credential.username if credential and credential.kind == "password" else None
    except DockerConfigError as exc:
        if notes is not None:
            notes.append(str(exc))
    return list(found.items())
