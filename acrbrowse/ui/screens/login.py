"""The sign-in dialog: username, masked password, "remember in keyring"; verifies before it closes.
Opened while signed in, it signs in as another user (the stored credential is replaced only once
the new one is accepted) or signs out."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Footer, Input, Label, Static

from acrbrowse.oci.credential import Credential, Secret
from acrbrowse.oci.errors import RegistryError
from acrbrowse.oci.name import parse_registry
from acrbrowse.oci.remote.client import RegistryClient  # noqa: F401 - named in the screen's type
from acrbrowse.present.safe import terminal_safe
from acrbrowse.ui.keys import LOGIN_KEYS, bindings
from acrbrowse.ui.typed_app import app_of

SOURCE_LOGIN_DIALOG = "login dialog"



def user_label(credential: Credential) -> str:
    """Who a credential signs in as, for the header and the sign-in dialog (an ACR refresh token's
    user is a fixed all-zero GUID: Entra ID names it better)."""
    return "Entra ID" if credential.kind == "entra" else credential.username

class SignOut:
    """What the dialog dismisses with when the user chose to sign out."""


SIGN_OUT = SignOut()


class LoginScreen(ModalScreen["RegistryClient | SignOut | None"]):
    """Dismisses with a client whose credential was just verified, SIGN_OUT, or None when cancelled."""

    BINDINGS = bindings(LOGIN_KEYS)

    def __init__(self, registry: str, *, reason: str = "", repository: str | None = None,
                 username: str | None = None, signed_in_as: str | None = None) -> None:
        """`signed_in_as`: the user of the credential in use; the dialog then signs in as another
        user, or out."""
        super().__init__()
        self.registry = registry
        self.reason = reason
        self.repository = repository
        self.signed_in_as = signed_in_as
        # Shown in an Input: a name from a settings file with a control character in it is not offered.
        self.username = username if username and terminal_safe(username) == username else ""

    def compose(self) -> ComposeResult:
        shown = app_of(self).shown
        with Vertical(id="login-dialog"):
            if self.signed_in_as is None:
                yield Label(Text.assemble("Sign in to ", (shown(self.registry), "bold")), id="login-title")
            else:
                yield Label(Text.assemble("Signed in to ", (shown(self.registry), "bold"), " as ",
                                          (shown(self.signed_in_as), "bold"),
                                          ("\nSign in as another user, or sign out.", "dim")), id="login-title")
            if self.reason:
                yield Static(Text(shown(self.reason), style="dim"), id="login-reason")
            yield Label("Username")
            yield Input(self.username, placeholder="user, token or service principal name", id="login-username")
            yield Label("Password")
            yield Input(placeholder="password or token", password=True, id="login-password")
            yield Checkbox("Remember in the keyring", True, id="login-remember")
            yield Static("", id="login-error")
            with Horizontal(id="login-buttons"):
                # Shown once the registry is known to take Entra ID (an ACR host, or ACR's token service).
                yield Button("Sign in with Azure", id="login-azure")
                yield Button("Sign in", variant="primary", id="login-submit")
                if self.signed_in_as is not None:
                    yield Button("Sign out", variant="warning", id="login-sign-out")
                yield Button("Cancel", id="login-cancel")
        yield Footer()  # the dialog's own keys, not the browser's behind it

    def on_mount(self) -> None:
        self.query_one("#login-error").display = False
        self.query_one("#login-azure").display = False
        self.query_one("#login-password" if self.username else "#login-username", Input).focus()
        self._offer_azure()

    @work(thread=True, group="azure-offer")
    def _offer_azure(self) -> None:
        """The Azure button, for a registry that takes Entra ID (reads the realm memo: a thread)."""
        try:
            offered = app_of(self).session.is_acr_registry(self.registry)
        except Exception:  # not offering a button is the safe answer to anything odd
            offered = False
        if offered:
            self.app.call_from_thread(self._show_azure)

    def _show_azure(self) -> None:
        if self.is_attached:
            self.query_one("#login-azure").display = True

    def show_error(self, text: str) -> None:
        error = self.query_one("#login-error", Static)
        error.update(Text(app_of(self).shown(text), style="bold red"))
        error.display = True

    # Tab and Enter are priority bindings: the app runs them as it reads them, so the focus moves
    # before the next key of a burst is handed on (an Input's own Enter would move it only later).

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "username_done":  # elsewhere Enter is the Input's, the button's or the checkbox's
            return self.focused is not None and self.focused.id == "login-username"
        return True

    def action_username_done(self) -> None:
        # set_focus, not focus(): focus() is queued behind the keys already waiting
        self.set_focus(self.query_one("#login-password", Input))

    def action_next_field(self) -> None:
        self.focus_next()

    def action_previous_field(self) -> None:
        self.focus_previous()

    @on(Input.Submitted, "#login-password")
    @on(Button.Pressed, "#login-submit")
    def submit(self) -> None:
        username = self.query_one("#login-username", Input).value.strip()
        # Wrapped at once: Textual's tracebacks print locals, and a Secret prints masked.
        password = Secret(self.query_one("#login-password", Input).value)
        if not username:
            self.show_error("Enter a username.")
            self.query_one("#login-username", Input).focus()
            return
        if not password:
            self.show_error("Enter a password or token.")
            self.query_one("#login-password", Input).focus()
            return
        credential = Credential(username, password, "password", source=SOURCE_LOGIN_DIALOG)
        remember = self.query_one("#login-remember", Checkbox).value
        self._verify(credential, remember)

    @on(Button.Pressed, "#login-cancel")
    def action_cancel(self) -> None:
        self.workers.cancel_group(self, "login")
        self.dismiss(None)

    @on(Button.Pressed, "#login-sign-out")
    def sign_out(self) -> None:
        self.workers.cancel_group(self, "login")
        self.dismiss(SIGN_OUT)

    @on(Button.Pressed, "#login-azure")
    def sign_in_with_azure(self) -> None:
        self._verify_azure(self.query_one("#login-remember", Checkbox).value)

    def _busy(self, busy: bool) -> None:
        for widget in self.query("Input, Checkbox, #login-submit, #login-sign-out, #login-azure"):
            widget.disabled = busy
        self.query_one("#login-submit", Button).label = "Signing in…" if busy else "Sign in"

    @work(exclusive=True, group="login")
    async def _verify_azure(self, remember: bool) -> None:
        """Entra ID (azure-identity, or the Azure CLI) exchanged for the registry's refresh token, in a
        thread (az may take a second); then checked and kept like a password."""
        self._busy(True)
        self.query_one("#login-error").display = False
        self.query_one("#login-submit", Button).label = "Asking Azure…"
        try:
            credential = await asyncio.to_thread(app_of(self).session.azure_credential, self.registry)
        except Exception as exc:  # no az, not signed in, no role: one line in the dialog
            self._busy(False)
            self.show_error(exc.reason if isinstance(exc, RegistryError) else app_of(self).failure_line(exc))
            return
        await self._check_and_keep(credential, remember)

    @work(exclusive=True, group="login")
    async def _verify(self, credential: Credential, remember: bool) -> None:
        await self._check_and_keep(credential, remember)

    async def _check_and_keep(self, credential: Credential, remember: bool) -> None:
        self._busy(True)
        self.query_one("#login-error").display = False
        client = None
        try:
            # Checked as it will be stored: a renewal during the check would leave the keyring a stale token.
            checked = replace(credential, renew=None) if credential.renew is not None else credential
            client = app_of(self).session.new_client(parse_registry(self.registry), checked)
            await client.verify_credentials(self.repository)
        except Exception as exc:  # refused, unreachable, or a bug: one line in the dialog
            if client is not None:
                await app_of(self).session.release(client)
            self._busy(False)
            self.show_error(exc.reason if isinstance(exc, RegistryError) else app_of(self).failure_line(exc))
            password = self.query_one("#login-password", Input)
            password.value = ""
            password.focus()
            return
        except asyncio.CancelledError:
            if client is not None:
                await app_of(self).session.release(client)
            raise
        if credential.renew is not None:  # the client kept for the run renews its token itself
            await app_of(self).session.release(client)
            client = app_of(self).session.new_client(parse_registry(self.registry), credential)
        name = app_of(self).shown(user_label(credential))
        if remember:
            try:
                await asyncio.to_thread(app_of(self).session.save_login, self.registry, credential)
            except Exception as exc:  # no keyring, or a bug: signed in all the same
                self.app.notify(app_of(self).failure_line(exc), title="Not remembered", severity="warning",
                                timeout=10, markup=False)
            else:
                self.app.notify(f"Signed in as {name}; remembered in the keyring", markup=False)
        else:
            self.app.notify(f"Signed in as {name}", markup=False)
        self.dismiss(client)
