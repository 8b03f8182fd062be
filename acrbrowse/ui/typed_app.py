"""Widgets and screens reach the app through `app_of(self)`: typed, where `self.app` is App[Any]."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.dom import DOMNode

if TYPE_CHECKING:
    from acrbrowse.ui.app import AcrBrowseApp


def app_of(node: DOMNode) -> AcrBrowseApp:
    return cast("AcrBrowseApp", node.app)
