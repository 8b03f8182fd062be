"""Image references: REGISTRY[:PORT]/REPO[/MORE][:TAG][@sha256:...], with Docker Hub's rules."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, replace

from acrbrowse.oci.errors import Hint, InvalidReference

DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
_DOCKER_HUB_ALIASES = {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}

_COMPONENT = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
_REPOSITORY_RE = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
_TAG_RE = re.compile(r"[\w][\w.-]{0,127}", re.ASCII)  # tags are ASCII; \w alone takes any letter
_DIGEST_RE = re.compile(r"(?P<algorithm>[a-z0-9]+(?:[.+_-][a-z0-9]+)*):(?P<hex>[a-zA-Z0-9=_-]{32,})")
_HOSTNAME_RE = re.compile(r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*")
_DIGEST_HEX_LENGTH = {"sha256": 64, "sha512": 128}

CATALOG_SCOPE = "registry:catalog:*"
METADATA_READ = "metadata_read"  # ACR's action for /acr/v1 (tag times, sizes, every manifest)


def scope(repository: str | None, actions: str = "pull") -> str:
    """The token scope a request needs: a repository's `actions`, or (no repository) the catalog.
    Every scope acrbrowse asks for is built here."""
    if repository is None:
        return CATALOG_SCOPE
    return f"repository:{repository}:{actions}"


def metadata_scope(repository: str) -> str:
    """The scope of ACR's metadata API (/acr/v1) for a repository."""
    return scope(repository, METADATA_READ)


@dataclass(frozen=True)
class Reference:
    """A registry, optionally a repository in it, optionally a tag and/or digest."""

    registry: str
    repository: str | None = None
    tag: str | None = None
    digest: str | None = None

    @property
    def api_host(self) -> str:
        """The host the distribution API lives on (Docker Hub's differs from its name)."""
        return DOCKER_HUB_API if self.registry == DOCKER_HUB else self.registry

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(self.registry)

    @property
    def manifest_ref(self) -> str | None:
        """What goes after /manifests/: the digest when there is one, else the tag."""
        return self.digest or self.tag

    def with_tag(self, tag: str) -> Reference:
        return replace(self, tag=validate_tag(tag), digest=None)

    def pullable(self) -> str:
        """REGISTRY/REPO@DIGEST when a digest is known, else REGISTRY/REPO:TAG."""
        base = f"{self.registry}/{self.repository}"
        if self.digest:
            return f"{base}@{self.digest}"
        return f"{base}:{self.tag or 'latest'}"

    def __str__(self) -> str:
        text = self.registry
        if self.repository:
            text += f"/{self.repository}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def is_loopback_host(registry: str) -> bool:
    """For REGISTRY[:PORT] (IPv6 in brackets)."""
    try:
        host = split_host_port(registry)[0]
    except ValueError:
        return False
    return is_loopback_name(host)


def is_loopback_name(host: str) -> bool:
    """For a bare host as in a URL's .host: localhost, 127.0.0.0/8, ::1."""
    if host == "localhost":  # not "foo.localhost": a name anyone's resolver may answer
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_host_port(registry: str) -> tuple[str, int | None]:
    if registry.startswith("["):
        host, _, rest = registry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = registry.partition(":")
    return host, int(port) if port else None


def normalize_registry(text: str) -> str:
    """Validate a registry host[:port] and fold Docker Hub's aliases to docker.io."""
    registry = text.strip()
    if len(registry) > 300:  # a host name has at most 253 characters, a port 5, https:// 8
        raise InvalidReference(f"{_shown(text)} is too long for a registry host name")
    if "://" in registry:
        scheme, _, registry = registry.partition("://")
        if scheme not in ("https", "http"):
            raise InvalidReference(f"{_shown(text)}: unknown scheme {_shown(scheme)}; give the registry as HOST[:PORT]")
        if scheme == "http":
            raise InvalidReference(f"{_shown(text)}: give the registry without http://", hint=Hint.PLAIN_HTTP)
        registry = registry.rstrip("/")
    if not registry:
        raise InvalidReference("no registry given", hint=Hint.NAME_A_REGISTRY)
    if registry.endswith(":"):
        raise InvalidReference(f"{_shown(text)}: nothing after ':'; give a port or leave the ':' out")
    host, _, port = registry.rpartition(":") if not registry.endswith("]") else (registry, "", "")
    if not host or (host.startswith("[") and not host.endswith("]")):
        host, port = registry, ""
    if port and not (port.isascii() and port.isdigit() and len(port) <= 5 and 0 < int(port) < 65536):
        raise InvalidReference(f"{_shown(text)}: the port must be a number from 1 to 65535")
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise InvalidReference(f"{_shown(text)}: not a valid IPv6 address") from None
    elif not _HOSTNAME_RE.fullmatch(host):
        raise InvalidReference(f"{_shown(text)} is not a registry host name; expected HOST[:PORT], e.g. myregistry.azurecr.io")
    registry = host.lower() + (f":{port}" if port else "")
    return DOCKER_HUB if registry in _DOCKER_HUB_ALIASES else registry


def validate_repository(name: str) -> str:
    if not isinstance(name, str) or len(name) > 255:
        raise InvalidReference(f"{_shown(name)} is not a valid repository name (at most 255 characters)")
    if name != name.lower() and _REPOSITORY_RE.fullmatch(name.lower()):
        raise InvalidReference(f"repository {_shown(name)}: repository names must be lowercase")
    if not _REPOSITORY_RE.fullmatch(name):
        raise InvalidReference(
            f"{_shown(name)} is not a valid repository name (lowercase letters, digits, '.', '_', '-', separated by '/')"
        )
    return name


def repository_in(registry: str, name: str) -> str:
    """A repository name as typed, made whole: Docker Hub's official images live under library/."""
    name = validate_repository(name.strip().strip("/"))
    if registry == DOCKER_HUB and "/" not in name:
        return f"library/{name}"
    return name


def validate_tag(tag: str) -> str:
    if not isinstance(tag, str) or not _TAG_RE.fullmatch(tag):
        raise InvalidReference(f"{_shown(tag)} is not a valid tag (letters, digits, '_', '.', '-'; at most 128)")
    return tag


def is_valid_tag(name: object) -> bool:
    """Whether `name` may be used as a tag (a registry may list anything as one)."""
    return isinstance(name, str) and _TAG_RE.fullmatch(name) is not None


MAX_DIGEST_LENGTH = 200  # longer than any digest validate_digest accepts (sha512: 135 characters)


def digest_or_none(value: object) -> str | None:
    """`value` when it is a digest validate_digest accepts (a registry's field may hold anything), else None."""
    if not isinstance(value, str) or len(value) > MAX_DIGEST_LENGTH:  # no error message made for a megabyte
        return None
    try:
        return validate_digest(value)
    except InvalidReference:
        return None


def validate_digest(digest: str) -> str:
    """An OCI digest with sha256 (64 lowercase hex digits) or sha512 (128); others are refused."""
    if not isinstance(digest, str):
        raise InvalidReference(f"{_shown(digest)} is not a digest; expected sha256:<64 hex digits>")
    match = _DIGEST_RE.fullmatch(digest)
    if not match:
        raise InvalidReference(f"{_shown(digest)} is not a digest; expected sha256:<64 hex digits>")
    expected = _DIGEST_HEX_LENGTH.get(match["algorithm"])
    if expected is None:
        raise InvalidReference(f"{_shown(digest)}: unsupported digest algorithm {_shown(match['algorithm'])}; "
                               "acrbrowse accepts sha256 and sha512")
    if not re.fullmatch(rf"[0-9a-f]{{{expected}}}", match["hex"]):
        raise InvalidReference(f"{_shown(digest)}: a {match['algorithm']} digest has {expected} lowercase hex digits")
    return digest


def _shown(value: object, limit: int = 100) -> str:
    """repr of a value for an error message, shortened: a hostile one may be megabytes long."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _looks_like_registry(component: str) -> bool:
    return "." in component or ":" in component or component == "localhost" or component.startswith("[")


def parse_registry(text: str) -> Reference:
    """A bare registry, as for `acrbrowse repos REGISTRY`."""
    stripped = text.strip().rstrip("/")
    if "/" in stripped.partition("://")[2] or ("://" not in stripped and "/" in stripped):
        raise InvalidReference(f"{_shown(text)}: expected a registry (HOST[:PORT]), not a repository")
    return Reference(normalize_registry(stripped))


def parse_reference(text: str) -> Reference:
    """REGISTRY, or REGISTRY/REPO[:TAG][@DIGEST]; a name without a registry is a Docker Hub one."""
    raw = text.strip()
    if not raw:
        raise InvalidReference("empty reference; expected REGISTRY or REGISTRY/REPO[:TAG]")
    if "://" in raw:
        scheme, _, rest = raw.partition("://")
        if scheme.lower() == "http":
            raise InvalidReference(f"{_shown(text)}: give the registry without http://", hint=Hint.PLAIN_HTTP)
        if scheme.lower() != "https":
            raise InvalidReference(f"{_shown(text)}: unknown scheme {_shown(scheme)}; give the registry as HOST[:PORT]")
        raw = rest.rstrip("/")
    name, at, digest = raw.partition("@")
    first, slash, rest = name.partition("/")
    if not slash and not at and _is_bare_registry(first):
        return Reference(normalize_registry(first))
    if slash and _looks_like_registry(first):
        registry, path = normalize_registry(first), rest
    else:
        registry, path = DOCKER_HUB, name
    repository, tag = path, ""
    colon = path.rfind(":")
    if colon > path.rfind("/"):
        repository, tag = path[:colon], path[colon + 1:]
        if not tag:
            raise InvalidReference(f"{_shown(text)}: nothing after ':'; give a tag or leave the ':' out")
    if not repository:
        raise InvalidReference(f"{_shown(text)}: no repository; expected REGISTRY/REPO[:TAG]")
    if at and not digest:
        raise InvalidReference(f"{_shown(text)}: nothing after '@'; give a digest like sha256:...")
    if registry == DOCKER_HUB and "/" not in repository:
        repository = f"library/{repository}"
    return Reference(
        registry,
        validate_repository(repository),
        validate_tag(tag) if tag else None,
        validate_digest(digest) if digest else None,
    )


def _is_bare_registry(text: str) -> bool:
    """"myreg.azurecr.io", "localhost:5000", "[::1]:5000" are registries; "ubuntu:22.04" is an image."""
    host = text.rsplit(":", 1)[0] if not text.endswith("]") else text
    return "." in host or host == "localhost" or host.startswith("[")
