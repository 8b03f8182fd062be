"""Signing in, as another user, and out, from inside the browser (u), against the real token registry."""

from __future__ import annotations

import pytest

from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.screens.login import LoginScreen
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
