"""Write README screenshots: screenshots/{start,browse,tree,tree-80x24,login,files,files-merged,compare}.svg.

Starts the test bed (tests.testbed), drives the app with Pilot at 160x45 (tree-80x24.svg: at
80x24, the smallest terminal the layout is made for) and saves SVGs. The
bed's random port is shown as a fixed registry name, settings and keyring live in a temporary
folder, and the script fails if any password of the bed appears in a screenshot.

    .venv/bin/python scripts/screenshots.py [--out screenshots]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from acrbrowse.config import Config  # noqa: E402
from acrbrowse.oci.name import parse_reference  # noqa: E402
from acrbrowse.session import Session, SessionOptions  # noqa: E402
from acrbrowse.ui.app import AcrBrowseApp  # noqa: E402
from acrbrowse.ui.screens.browser import BrowserScreen  # noqa: E402
from acrbrowse.ui.screens.diff import DiffScreen  # noqa: E402
from acrbrowse.ui.screens.files import FilesScreen  # noqa: E402
from acrbrowse.ui.screens.login import LoginScreen  # noqa: E402
from acrbrowse.ui.screens.start import StartScreen  # noqa: E402
from acrbrowse.ui.tree.nodes import EntryItem, LayerItem  # noqa: E402
from tests.layerfiles import layers as L  # noqa: E402
from tests.layerfiles.images import push_layered_images  # noqa: E402
from tests.testbed import Testbed  # noqa: E402

SIZE = (160, 45)
SMALL = (80, 24)
SHOWN_AS = "contoso.azurecr.io"
TYPED_PASSWORD = "correct-horse-battery"  # typed into the login dialog; must never show


async def until(pilot, predicate, timeout: float = 20.0) -> object:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (value := predicate()):
        if loop.time() > deadline:
            raise SystemExit(f"screenshots: timed out waiting for {predicate}")
        await pilot.pause(0.05)
    return value


def steady(app: AcrBrowseApp) -> None:
    from textual.widgets import Input

    for widget in app.screen.query(Input):
        widget.cursor_blink = False


def platforms_sized(screen: BrowserScreen) -> bool:
    """The tree's root has arrived and each platform line shows its layers and size."""
    root = screen.manifest_tree.root
    platforms = [child for child in root.children if isinstance(child.data, EntryItem)]
    return root.data is not None and root.data.manifest is not None and bool(platforms) and all(
        "layers" in child.label.plain for child in platforms)


async def shoot(bed: Testbed, out: Path, workdir: Path) -> list[Path]:
    env = {"ACRBROWSE_CONFIG_DIR": str(workdir / "config"), "DOCKER_CONFIG": str(workdir), "HOME": str(workdir),
           "PATH": ""}
    settings = Config(workdir / "config" / "config.json")
    settings.record_recent_registry("myregistry.azurecr.io")
    settings.record_recent_registry(bed.anon.host)
    settings.record_stored_login("myregistry.azurecr.io", "ci-pipeline")
    settings.record_stored_login("ghcr.io", "octocat")
    names = {ep.host: SHOWN_AS for ep in (bed.anon, bed.basic, bed.token)}

    def app_for(target: str | None) -> AcrBrowseApp:
        session = Session(SessionOptions(timeout=10, use_cache=False), env=env, settings=settings,
                          include_helper_list=False)
        return AcrBrowseApp(parse_reference(target) if target else None, None, session=session,
                            display_names=names, system_clipboard=False)

    written: list[Path] = []

    app = app_for(None)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, StartScreen) and app.screen.known)
        steady(app)
        await pilot.pause(0.2)
        written.append(Path(app.save_screenshot("start.svg", str(out))))

    app = app_for(f"{bed.anon.host}/aspnetapp")
    async with app.run_test(size=SIZE) as pilot:
        screen = await until(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await until(pilot, lambda: screen.repos.complete and screen.tags.complete)
        await until(pilot, lambda: all(t in screen.tags.info for t in screen.tags.tags))
        screen.tags.table.cursor = screen.tags.table.keys.index("latest")
        await pilot.pause(0.3)
        written.append(Path(app.save_screenshot("browse.svg", str(out))))

        await pilot.press("enter")
        tree = screen.manifest_tree
        await until(pilot, lambda: platforms_sized(screen))
        await pilot.press("down", "enter")
        await until(pilot, lambda: tree.root.children[0].data.manifest is not None)
        await pilot.press("down", "down", "down")
        await pilot.pause(0.3)
        written.append(Path(app.save_screenshot("tree.svg", str(out))))

    app = app_for(f"{bed.anon.host}/aspnetapp:latest")
    async with app.run_test(size=SMALL) as pilot:
        screen = await until(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await until(pilot, lambda: platforms_sized(screen))
        await pilot.pause(0.3)
        written.append(Path(app.save_screenshot("tree-80x24.svg", str(out))))

    # Inside an image: a layer's files, the merged filesystem, and two tags compared.
    images = push_layered_images(bed.anon.host, "samples/webapp")
    app = app_for(images.ref(images.image_tag))
    async with app.run_test(size=SIZE) as pilot:
        screen = await until(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        tree = screen.manifest_tree
        await until(pilot, lambda: any(isinstance(n.data, LayerItem) for n in tree.root.children))
        tree.focus()
        tree.move_cursor([n for n in tree.root.children if isinstance(n.data, LayerItem)][0])
        await pilot.press("enter")
        files = await until(pilot, lambda: isinstance(app.screen, FilesScreen) and app.screen)
        await until(pilot, lambda: files.state == "done")
        await pilot.press("e")
        files.table.cursor = [files.view.tree.path(n) for n in files.table.keys].index("usr/bin/app")
        await pilot.pause(0.3)
        written.append(Path(app.save_screenshot("files.svg", str(out))))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, BrowserScreen))
        tree.move_cursor(tree.root)
        await pilot.press("f")
        files = await until(pilot, lambda: isinstance(app.screen, FilesScreen) and app.screen)
        await until(pilot, lambda: files.state == "done")
        await pilot.press("e", "s", "s")
        await pilot.pause(0.3)
        app.clear_notifications()
        written.append(Path(app.save_screenshot("files-merged.svg", str(out))))

    # two releases on one base: 1.1 adds the clean-up layer to 1.0's two
    specs = [(images.blobs[0], L.media_type("gzip"), None), (images.blobs[1], L.media_type("zstd"), None),
             (images.blobs[2], L.media_type("none", docker=True), None)]
    L.push_layers_image(bed.anon.host, "samples/webapp", "1.0", specs[:2])
    L.push_layers_image(bed.anon.host, "samples/webapp", "1.1", specs)
    app = app_for(f"{bed.anon.host}/samples/webapp")
    async with app.run_test(size=SIZE) as pilot:
        screen = await until(pilot, lambda: isinstance(app.screen, BrowserScreen) and app.screen)
        await until(pilot, lambda: screen.tags.complete)
        table = screen.tags.table
        table.focus()
        table.cursor = table.keys.index("1.0")
        await pilot.press("m")
        table.cursor = table.keys.index("1.1")
        await pilot.press("d")
        diff = await until(pilot, lambda: isinstance(app.screen, DiffScreen) and app.screen)
        await until(pilot, lambda: diff.state == "ready")
        await pilot.press("f")
        await until(pilot, lambda: diff.state == "files")
        app.clear_notifications()
        await pilot.pause(0.3)
        written.append(Path(app.save_screenshot("compare.svg", str(out))))

    app = app_for(bed.token.host)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        await pilot.press(*"admin", "enter", *TYPED_PASSWORD)
        steady(app)
        await pilot.pause(0.2)
        written.append(Path(app.save_screenshot("login.svg", str(out))))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with Testbed() as bed, tempfile.TemporaryDirectory(prefix="acrbrowse-shots-") as tmp:
        written = asyncio.run(shoot(bed, args.out, Path(tmp)))
        secrets = [*bed.users.values(), TYPED_PASSWORD]
        hosts = [ep.host for ep in (bed.anon, bed.basic, bed.token)]
    for path in written:
        svg = path.read_text(encoding="utf-8")
        leaked = [s for s in secrets if s in svg]
        if leaked:
            path.unlink()
            raise SystemExit(f"screenshots: {path.name} shows a secret; removed it")
        if any(host in svg for host in hosts):
            raise SystemExit(f"screenshots: {path.name} shows the test bed's random port")
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
