"""The UI with the real parts: a real Secret Service behind "remember in keyring", and the realm
remembered between runs so a later launch spends no round trip on a 401."""

from __future__ import annotations

from acrbrowse.config import Config
from acrbrowse.oci.cache import ChallengeMemo
from acrbrowse.oci.remote.client import RegistryClient
from acrbrowse.session import Session
from acrbrowse.ui.screens.browser import BrowserScreen
from acrbrowse.ui.screens.login import LoginScreen
from tests.keychain.secret_service import secret_service, secret_service_keyring  # noqa: F401
from tests.ui.conftest import SIZE, TEST_OPTIONS, user, wait_for


async def test_remember_in_keyring_stores_in_the_real_secret_service(
        testbed, make_app, tmp_path, secret_service_keyring):  # noqa: F811
    session = Session(TEST_OPTIONS, env={"ACRBROWSE_CONFIG_DIR": str(tmp_path / "config"), "HOME": str(tmp_path),
                                         "DOCKER_CONFIG": str(tmp_path / "docker"), "PATH": ""},
                      settings=Config(tmp_path / "config" / "config.json"), include_helper_list=False)
    password = testbed.users["readonlypull"]
    app = make_app(f"{testbed.token.host}/aspnetapp", session=session)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen) and app.screen.query("#login-password") and app.screen)
        assert dialog.query_one("#login-remember").value  # on by default
        await pilot.press(*"readonlypull", "enter", *password, "enter")
        screen = await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await wait_for(pilot, lambda: screen.tags.complete, what="the tags, signed in")
    stored = [item for item in secret_service_keyring.items() if "acrbrowse" in str(item)]
    assert stored, secret_service_keyring.items()
    found = Session(env=session.env, settings=session.settings).resolve(testbed.token.host)
    assert found.username == "readonlypull" and found.source == "keyring"
    assert found.secret.reveal() == password
    assert password not in (tmp_path / "config" / "config.json").read_text()


async def test_a_remembered_realm_means_no_401_on_the_next_launch(testbed, make_app, tmp_path, fault_proxy):
    proxy = fault_proxy("token")
    memo = ChallengeMemo(tmp_path / "challenges.json")

    def launch():
        return make_app(f"{proxy.host}/aspnetapp", user(testbed, "admin"), challenges=memo,
                        display_names={proxy.host: "registry.test:5000"},
                        client_factory=None)

    for run in (1, 2):
        proxy.clear_log()
        app = launch()
        async with app.run_test(size=SIZE) as pilot:
            screen = await wait_for(pilot, lambda app=app: isinstance(app.screen, BrowserScreen) and app.screen)
            await wait_for(pilot, lambda screen=screen: screen.tags.complete, what="the tags")
        statuses = [entry.status for entry in proxy.log]
        if run == 1:
            assert 401 in statuses
            assert memo.get(proxy.host) is not None and memo.get(proxy.host).scheme == "bearer"
        else:
            assert 401 not in statuses, [(e.path, e.status) for e in proxy.log]
    assert isinstance(app.session.client(proxy.host), RegistryClient)
