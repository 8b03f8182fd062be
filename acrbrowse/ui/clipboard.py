"""Copy text: OSC 52 through the terminal (works over SSH and in tmux with set-clipboard on), and
also the system clipboard tool where OSC 52 may not reach (a local terminal without OSC 52).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import Mapping

from acrbrowse.oci.errors import InvalidReference
from acrbrowse.oci.name import Reference, normalize_registry, validate_digest, validate_repository, validate_tag


def over_ssh(env: Mapping[str, str] = os.environ) -> bool:
    return bool(env.get("SSH_CONNECTION") or env.get("SSH_CLIENT") or env.get("SSH_TTY"))


def system_clipboard_command(env: Mapping[str, str] = os.environ, platform: str = sys.platform) -> list[str] | None:
    """The local clipboard tool to feed on stdin, or None (over SSH the local tool is the wrong machine's)."""
    if over_ssh(env):
        return None
    candidates: list[list[str]] = []
    if platform == "darwin":
        candidates.append(["pbcopy"])
    elif platform == "win32":
        candidates.append(["clip.exe"])
    else:
        if env.get("WAYLAND_DISPLAY"):
            candidates.append(["wl-copy"])
        if env.get("DISPLAY"):
            candidates += [["xclip", "-selection", "clipboard"], ["xsel", "--clipboard", "--input"]]
        if env.get("WSL_DISTRO_NAME"):
            candidates.append(["clip.exe"])
    for command in candidates:
        if shutil.which(command[0]):
            return command
    return None


async def copy_to_system_clipboard(text: str, command: list[str], timeout: float = 2.0) -> bool:
    """Feed `text` to the clipboard tool; False if it failed. Never raises."""
    try:
        process = await asyncio.create_subprocess_exec(
            *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await asyncio.wait_for(process.communicate(text.encode("utf-8")), timeout)
        return process.returncode == 0
    except (TimeoutError, OSError):
        return False


def copyable_digest(digest: object) -> str:
    """`digest` if it is one (OCI grammar, sha256 or sha512, nothing after it); else InvalidReference.
    What reaches the clipboard can be pasted into a shell: a newline or a control character must not."""
    if not isinstance(digest, str):
        raise InvalidReference("not a digest")
    return validate_digest(digest)


def copyable_reference(registry: str, repository: object, digest: object) -> str:
    """REGISTRY/REPO@DIGEST with every part checked against the reference grammar; else InvalidReference."""
    if not isinstance(repository, str):
        raise InvalidReference("not a repository name")
    if normalize_registry(registry) != registry:
        raise InvalidReference(f"{registry!r} is not a registry name")
    return Reference(registry, validate_repository(repository), digest=copyable_digest(digest)).pullable()


def copyable_tag_reference(registry: str, repository: object, tag: object) -> str:
    """REGISTRY/REPO:TAG with every part checked against the reference grammar; else InvalidReference."""
    if not isinstance(repository, str):
        raise InvalidReference("not a repository name")
    if not isinstance(tag, str):
        raise InvalidReference("not a tag")
    if normalize_registry(registry) != registry:
        raise InvalidReference(f"{registry!r} is not a registry name")
    return Reference(registry, validate_repository(repository), validate_tag(tag)).pullable()


def copyable_pull_command(registry: str, repository: object, digest: object, tag: object = None) -> str:
    """`docker pull REGISTRY/REPO@DIGEST`, or `docker pull REGISTRY/REPO:TAG@DIGEST` when the tag is
    known: the digest pins what is pulled (Docker and Podman ignore the tag then), the tag tells a
    reader what it is. Every part is checked; else InvalidReference."""
    pinned = copyable_reference(registry, repository, digest)
    if tag is None:
        return f"docker pull {pinned}"
    named = copyable_tag_reference(registry, repository, tag)
    return f"docker pull {named}@{copyable_digest(digest)}"
