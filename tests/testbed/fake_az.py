"""A stand-in Azure CLI for the Entra ID tests: an `az` executable written into a directory the
test puts on PATH (alone: the tests must never find a real `az`).

`FakeAz(directory, token=…, tenant=…)` writes `az`, which answers
`az account get-access-token --scope S [--tenant T] --output json` as the real one does
(accessToken, expiresOn, expires_on, tenant, tokenType), with the token the test minted through
the bed's `aad_token_for(user)`. `mode` picks a failure: "not_logged_in", "expired", "hang";
a `--tenant` other than `tenant` fails as the real one does. Each call's arguments are appended
to `calls` (never the token). The token sits in `az.json` beside the script, outside the run's
sandbox (the leak checks scan that).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SCRIPT = '''#!{python}
import json, sys, time, pathlib
here = pathlib.Path(__file__).resolve().parent
conf = json.loads((here / "az.json").read_text())
args = sys.argv[1:]
with open(here / "az.log", "a") as log:
    log.write(json.dumps(args) + "\\n")
def fail(text):
    sys.stderr.write(text + "\\n")
    sys.exit(1)
if args[:2] != ["account", "get-access-token"]:
    fail("ERROR: 'unknown' is misspelled or not recognized by the system.")
mode = conf["mode"]
if mode == "hang":
    time.sleep(3600)
if mode == "not_logged_in":
    fail("ERROR: Please run 'az login' to setup account.")
if mode == "expired":
    fail("ERROR: AADSTS700082: The refresh token has expired due to inactivity. Trace ID: 0\\n"
         "Interactive authentication is needed. Please run:\\naz login --scope " + conf["scope"])
if "--tenant" in args and args[args.index("--tenant") + 1] != conf["tenant"]:
    asked = args[args.index("--tenant") + 1]
    fail("ERROR: AADSTS90002: Tenant '" + asked + "' not found. Check to make sure you have the correct tenant ID.")
expires = int(time.time()) + 3600
print(json.dumps({{"accessToken": conf["token"], "expiresOn": time.strftime("%Y-%m-%d %H:%M:%S.000000", time.localtime(expires)),
                  "expires_on": expires, "subscription": "11111111-2222-3333-4444-555555555555",
                  "tenant": conf["tenant"], "tokenType": "Bearer"}}, indent=2))
'''

PUBLIC_SCOPE = "https://containerregistry.azure.net/.default"


class FakeAz:
    def __init__(self, directory: Path, *, token: str, tenant: str = "72f988bf-86f1-41af-91ab-2d7cd011db47",
                 mode: str = "ok") -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.tenant = tenant
        self._token = token
        path = self.directory / "az"
        path.write_text(SCRIPT.format(python=sys.executable))
        path.chmod(0o755)
        self.set(mode=mode)

    def set(self, *, mode: str | None = None, token: str | None = None) -> None:
        self._token = token or self._token
        self.mode = mode or self.mode
        (self.directory / "az.json").write_text(json.dumps(
            {"token": self._token, "tenant": self.tenant, "mode": self.mode, "scope": PUBLIC_SCOPE}))

    @property
    def calls(self) -> list[list[str]]:
        log = self.directory / "az.log"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
