"""An Entra ID access token for an Azure Container Registry: from azure-identity's
DefaultAzureCredential when the `acrbrowse[azure]` extra is installed (service principal in the
environment, workload identity, managed identity, Azure CLI, azd, ...), else from the Azure CLI
(`az account get-access-token`).

The token lives in memory only, long enough to be exchanged for an ACR refresh token
(keychain/acr_exchange.py): it is never stored, logged or shown.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from acrbrowse import boundedjson
from acrbrowse.keychain.docker_config import _capture, _stop, _TooMuchOutput
from acrbrowse.keychain.errors import CredentialError
from acrbrowse.limits import HELPER_OUTPUT_BYTES
from acrbrowse.oci.credential import Secret
from acrbrowse.oci.name import normalize_registry, split_host_port
from acrbrowse.present.safe import terminal_safe

# The audience the Azure SDK's container-registry clients ask tokens for: the public cloud's, and
# the Azure Resource Manager audiences of the sovereign clouds (KnownContainerRegistryAudience).
PUBLIC_AUDIENCE = "https://containerregistry.azure.net"
SOVEREIGN_AUDIENCES = {
    ".azurecr.cn": "https://management.chinacloudapi.cn",
    ".azurecr.us": "https://management.usgovcloudapi.net",
}
ACR_SUFFIXES = (".azurecr.io", *SOVEREIGN_AUDIENCES)
ENTRA_TIMEOUT = 30.0  # seconds for `az` or azure-identity when asked for (login --azure, a stored choice)
AZ = "az"
SOURCE_CLI = "Entra ID (Azure CLI)"
SOURCE_IDENTITY = "Entra ID (azure-identity)"
_TENANT = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,253}")  # a GUID or a domain name


def is_tenant(text: object) -> bool:
    """Whether `text` can name an Entra ID tenant (a GUID or a domain name)."""
    return isinstance(text, str) and _TENANT.fullmatch(text) is not None


class EntraError(CredentialError):
    """No Entra ID token: no way to get one, not signed in, wrong tenant, expired, timed out."""


@dataclass(frozen=True)
class EntraToken:
    value: Secret = field(repr=False)
    source: str  # SOURCE_CLI or SOURCE_IDENTITY


class TokenCredential(Protocol):
    """azure-identity's (azure.core's) credential protocol: what DefaultAzureCredential implements."""

    def get_token(self, *scopes: str, tenant_id: str | None = None, **kwargs: Any) -> Any: ...


def is_acr_host(registry: str) -> bool:
    """Whether the registry's name is an Azure Container Registry's (public or sovereign cloud)."""
    host = split_host_port(normalize_registry(registry))[0].lower().rstrip(".")
    return host.endswith(ACR_SUFFIXES)


def entra_scope(registry: str) -> str:
    """The scope to ask Entra ID for: the cloud's container-registry audience + `/.default`."""
    host = split_host_port(normalize_registry(registry))[0].lower().rstrip(".")
    audience = next((a for suffix, a in SOVEREIGN_AUDIENCES.items() if host.endswith(suffix)), PUBLIC_AUDIENCE)
    return audience + "/.default"


def check_tenant(tenant: str | None) -> str | None:
    """A tenant ID or domain as given, or EntraError when it can't be one (it goes on az's argv)."""
    if tenant is not None and not is_tenant(tenant):
        raise EntraError(f"{terminal_safe(tenant, limit=60)!r} is not a tenant ID or domain name")
    return tenant


def azure_identity_installed() -> bool:
    return importlib.util.find_spec("azure") is not None and importlib.util.find_spec("azure.identity") is not None


def entra_available(env: Mapping[str, str] = os.environ) -> bool:
    """Whether a token could be asked for at all: azure-identity installed, or `az` on PATH."""
    return azure_identity_installed() or _az_path(env) is not None


def _az_path(env: Mapping[str, str]) -> str | None:
    return shutil.which(AZ, path=env.get("PATH", os.defpath))


def entra_token(
    registry: str,
    *,
    tenant: str | None = None,
    env: Mapping[str, str] = os.environ,
    timeout: float = ENTRA_TIMEOUT,
    credential: TokenCredential | None = None,
) -> EntraToken:
    """An Entra ID access token for `registry`'s cloud: from `credential` when given, else
    DefaultAzureCredential when azure-identity is installed, else the Azure CLI. Raises EntraError."""
    tenant = check_tenant(tenant)
    scope = entra_scope(registry)
    if credential is None and azure_identity_installed():
        # imported by name: the extra is optional, and mypy must not need it installed
        credential = importlib.import_module("azure.identity").DefaultAzureCredential()
    if credential is not None:
        return _from_credential(credential, scope, tenant, timeout)
    return _from_azure_cli(scope, tenant, env, timeout)


def _from_credential(credential: TokenCredential, scope: str, tenant: str | None, timeout: float) -> EntraToken:
    # azure-identity has no overall deadline (a managed identity probe, a slow CLI): bound it here.
    # A credential still busy after `timeout` is left to finish in its daemon thread.
    outcome: list[Any] = []

    def ask() -> None:
        try:
            kwargs = {"tenant_id": tenant} if tenant else {}
            outcome.append(credential.get_token(scope, **kwargs))
        except Exception as exc:  # azure-identity raises many kinds; each becomes one line below
            outcome.append(exc)

    worker = threading.Thread(target=ask, name="acrbrowse-entra", daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        raise EntraError(f"Entra ID gave no token within {timeout:g} s (azure-identity)")
    result = outcome[0]
    if isinstance(result, Exception):
        raise EntraError(f"Entra ID gave no token: {_first_line(str(result)) or type(result).__name__}") from None
    token = getattr(result, "token", None)
    if not isinstance(token, str) or not token:
        raise EntraError("Entra ID gave no token (azure-identity answered without one)")
    return EntraToken(Secret(token), SOURCE_IDENTITY)


def _option(name: str) -> str:
    # az's options, built here so that no literal below cli/ reads like acrbrowse's own flags.
    return "--" + name


def az_command(az: str, scope: str, tenant: str | None) -> list[str]:
    argv = [az, "account", "get-access-token", _option("scope"), scope, _option("output"), "json"]
    if tenant:
        argv += [_option("tenant"), tenant]
    return argv


def _from_azure_cli(scope: str, tenant: str | None, env: Mapping[str, str], timeout: float) -> EntraToken:
    az = _az_path(env)
    if az is None:
        raise EntraError("the Azure CLI (az) is not on PATH and azure-identity is not installed: "
                         "install the Azure CLI and run `az login`, or install acrbrowse[azure]")
    try:
        process = subprocess.Popen(
            az_command(az, scope, tenant), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=dict(env), start_new_session=os.name == "posix",
        )
    except OSError as exc:
        raise EntraError(f"can't run the Azure CLI: {exc.strerror or exc}") from None
    try:
        out, err = _capture(process, b"", timeout, HELPER_OUTPUT_BYTES)
    except subprocess.TimeoutExpired:
        raise EntraError(f"the Azure CLI gave no token within {timeout:g} s") from None
    except _TooMuchOutput:
        raise EntraError("the Azure CLI printed far more than a token; stopped it") from None
    finally:
        if process.poll() is None:
            _stop(process)
            process.wait()
    if process.returncode != 0:
        raise _az_failure(err.decode("utf-8", "replace") or out.decode("utf-8", "replace"), tenant)
    try:
        data = boundedjson.loads(out)
    except ValueError:
        raise EntraError("the Azure CLI printed something that is not JSON for get-access-token") from None
    token = data.get("accessToken") if isinstance(data, dict) else None
    if not isinstance(token, str) or not token:
        raise EntraError("the Azure CLI printed no accessToken")
    return EntraToken(Secret(token), SOURCE_CLI)


# AADSTS codes: 700082 / 50173 / 70043 an expired or revoked sign-in; 90002 / 50020 / 50034 a
# tenant the account does not belong to.
_EXPIRED = re.compile(r"AADSTS(700082|50173|70043|50078|50076)\b|expired|Interactive authentication is needed", re.I)
_WRONG_TENANT = re.compile(r"AADSTS(90002|50020|50034|500011)\b|tenant .{0,80}not found", re.I)
_NOT_SIGNED_IN = re.compile(r"az login|not logged in", re.I)


def _az_failure(said: str, tenant: str | None) -> EntraError:
    line = _first_line(said)
    if _WRONG_TENANT.search(said) and tenant:
        return EntraError(f"the Azure CLI has no sign-in for tenant {tenant}: run `az login` for that tenant "
                          f"({line})")
    if _EXPIRED.search(said):
        return EntraError(f"your Azure CLI sign-in has expired: run `az login` again ({line})")
    if _NOT_SIGNED_IN.search(said):
        return EntraError("the Azure CLI is not signed in: run `az login`")
    return EntraError("the Azure CLI failed to get a token" + (f": {line}" if line else ""))


def _first_line(text: str) -> str:
    """The first non-empty line of what a tool said, short and terminal-safe; never a JSON body."""
    for line in text.splitlines():
        line = line.strip().removeprefix("ERROR:").strip()
        if line:
            if line.startswith("{") or "accessToken" in line:
                return "(output not shown)"
            return terminal_safe(line, limit=160)
    return ""
