"""The browser's status line: Docker Hub's pull quota as its last answer told it ("Docker Hub pulls:
76 of 100 left per 6 h"), shown only on a registry that counts manifest reads as pulls."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from acrbrowse.oci.remote.client import RegistryClient
from acrbrowse.oci.remote.transport import PullQuota, describe_window
from acrbrowse.ui.typed_app import app_of

REFRESH_INTERVAL = 0.5  # seconds: the quota changes with answers; reading it costs nothing


def quota_text(quota: PullQuota) -> Text:
    window = f" per {describe_window(quota.window)}" if quota.window else ""
    text = Text(f"Docker Hub pulls: {quota.remaining:,} of {quota.limit:,} left{window}",
                style="red" if quota.remaining == 0 else "dim")
    if quota.remaining == 0:
        text.append(" · spent: manifests cannot be read until the window passes")
    return text


class StatusLine(Static):
    def __init__(self, registry: str, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.registry = registry
        self._shown: tuple[int, int, int | None] | None = None

    def on_mount(self) -> None:
        self.display = False
        if app_of(self).counts_pulls(self.registry):  # a registry's name decides it: no timer for the others
            self.set_interval(REFRESH_INTERVAL, self.refresh_quota)

    def refresh_quota(self) -> None:
        client = app_of(self).source(self.registry)
        quota = client.pull_quota if isinstance(client, RegistryClient) and app_of(self).counts_pulls(self.registry) \
            else None
        if quota is None:
            self.display = False
            return
        key = (quota.remaining, quota.limit, quota.window)
        if key != self._shown:
            self._shown = key
            self.update(quota_text(quota))
        self.display = True
