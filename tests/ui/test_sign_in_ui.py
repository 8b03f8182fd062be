"""Signing in, as another user, and out, from inside the browser (u), against the real token registry."""

from __future__ import annotations

import pytest

from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.screens.login import LoginScreen
from tests.testbed.fake_az import FakeAz
from tests.ui.conftest import SIZE, screen_text, user, wait_for

pytestmark = pytest.mark.ui


def breadcrumb(screen: BrowserScreen) -> str:
    return str(screen.query_one("#breadcrumb").render())


async def open_dialog(pilot, app) -> LoginScreen:
    await pilot.press("u")
    return await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen) and app.screen.query("#login-username")
                          and app.screen, what="the sign-in dialog")


async def test_signing_in_as_another_user_changes_the_catalog(testbed, make_app, session):
    app = make_app(testbed.token.host, user(testbed, "readonlypull"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.repos.denied is not None, what="the catalog denied to readonlypull")
        assert "as readonlypull" in breadcrumb(screen)
        screen.repos.table.focus()

        dialog = await open_dialog(pilot, app)
        assert "Signed in to" in str(dialog.query_one("#login-title").render())
        assert "readonlypull" in str(dialog.query_one("#login-title").render())
        assert dialog.query("#login-sign-out")  # signed in: the dialog offers to sign out
        assert dialog.query_one("#login-username").value == ""  # another user, not the same one again
        await pilot.press(*"admin", "enter", *testbed.users["admin"], "enter")

        await wait_for(pilot, lambda: app.screen is screen, what="the dialog to close")
        await wait_for(pilot, lambda: screen.repos.complete, what="the catalog as admin")
        assert screen.repos.denied is None
        assert set(testbed.content.repositories) <= set(screen.repos.names)
        assert "as admin" in breadcrumb(screen)
        # the stored login was replaced, after the new one was accepted
        assert session.resolve(testbed.token.host).username == "admin"
        assert testbed.users["admin"] not in screen_text(app)


async def test_a_refused_new_user_keeps_the_old_one(testbed, make_app, session):
    session.save_login(testbed.token.host, user(testbed, "readonlypull"))
    app = make_app(testbed.token.host, user(testbed, "readonlypull"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.repos.denied is not None)
        screen.repos.table.focus()
        dialog = await open_dialog(pilot, app)
        await pilot.press(*"admin", "enter", *"wrong-password", "enter")
        error = dialog.query_one("#login-error")
        await wait_for(pilot, lambda: error.display, what="the refusal")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, what="the dialog to close")
        assert session.resolve(testbed.token.host).username == "readonlypull"
        assert app.session.credential(testbed.token.host).username == "readonlypull"
        assert "as readonlypull" in breadcrumb(screen)


async def test_signing_out_forgets_the_login_and_browses_anonymously(testbed, make_app, session):
    admin = user(testbed, "admin")
    session.save_login(testbed.token.host, admin)
    app = make_app(testbed.token.host, admin)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.repos.complete, what="the catalog as admin")
        screen.repos.table.focus()
        dialog = await open_dialog(pilot, app)
        await pilot.click("#login-sign-out")

        await wait_for(pilot, lambda: app.session.credential(testbed.token.host) is None, what="the sign-out")
        await wait_for(pilot, lambda: screen.repos.failed or screen.repos.denied is not None,
                       what="the catalog refused to nobody")
        assert "anonymous" in breadcrumb(screen)
        assert session.resolve(testbed.token.host) is None  # gone from the keyring and the index
        assert not isinstance(app.screen, LoginScreen)  # signed out on purpose: no dialog pops up
        assert dialog not in app.screen_stack
        await wait_for(pilot, lambda: "no longer in the keyring" in screen_text(app), what="the toast")


async def test_anonymous_u_offers_a_plain_sign_in(testbed, make_app):
    app = make_app(testbed.anon.host)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.repos.complete)
        assert "anonymous" in breadcrumb(screen)
        screen.repos.table.focus()
        dialog = await open_dialog(pilot, app)
        assert not dialog.query("#login-sign-out")
        assert "Sign in to" in str(dialog.query_one("#login-title").render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)


async def test_sign_in_with_azure_through_the_azure_cli(testbed, make_app, session, token_server, tmp_path):
    az = FakeAz(tmp_path / "az", token=token_server.aad_token_for("admin"))
    session.env["PATH"] = str(az.directory)  # the stand-in az, and never a real one
    app = make_app(testbed.token.host)  # nobody: the catalog's refusal opens the dialog
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        dialog = await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen) and app.screen.query("#login-azure")
                                and app.screen, what="the sign-in dialog")
        button = dialog.query_one("#login-azure")
        await wait_for(pilot, lambda: button.display, what="the Azure button (the token service is ACR's)")
        await wait_for(pilot, lambda: dialog.focused is not None and dialog.focused.id == "login-username")
        await pilot.press("tab", "tab", "tab")  # password, remember, then the Azure button
        assert dialog.focused is button
        error = dialog.query_one("#login-error")
        await pilot.press("enter")

        screen = await wait_for(pilot, lambda: (isinstance(app.screen, BrowserScreen) and app.screen) or (
            error.display and pytest.fail(str(error.render()))), what="the dialog to close")
        await wait_for(pilot, lambda: screen.repos.complete, what="the catalog as the Entra ID identity")
        assert set(testbed.content.repositories) <= set(screen.repos.names)
        assert "as Entra ID" in breadcrumb(screen)
        assert az.calls and az.calls[0][:2] == ["account", "get-access-token"]
        stored = session.resolve(testbed.token.host)
        assert stored is not None and stored.kind == "entra"  # the refresh token, kept for the next run
        assert "eyJ" not in screen_text(app)  # no token (a JWT) on screen or in a toast


async def test_azure_is_not_offered_for_a_registry_that_is_not_acr(testbed, make_app):
    app = make_app(testbed.basic.host)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen) and app.screen.query("#login-azure")
                                and app.screen, what="the sign-in dialog")
        await pilot.pause(0.2)
        workers = [w for w in dialog.workers if w.group == "azure-offer"]
        await wait_for(pilot, lambda: all(w.is_finished for w in workers), what="the check to finish")
        assert not dialog.query_one("#login-azure").display


async def test_the_command_palette_signs_out(testbed, make_app, session):
    admin = user(testbed, "admin")
    session.save_login(testbed.token.host, admin)
    app = make_app(testbed.token.host, admin)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.repos.complete, what="the catalog as admin")
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: app.screen is not screen, what="the command palette")
        await pilot.press(*"Sign out")
        await wait_for(pilot, lambda: "Forget this registry's stored sign-in" in screen_text(app),
                       what="the palette to offer it")  # its search runs in a worker
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.session.credential(testbed.token.host) is None, what="the sign-out")
        assert session.resolve(testbed.token.host) is None
        await wait_for(pilot, lambda: "anonymous" in breadcrumb(screen))
