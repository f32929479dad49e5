"""Desktop integration files: valid for the freedesktop tools, consistent with the app.

``make test`` installs ``appstream`` and ``desktop-file-utils``, so the validators always run
in CI; elsewhere a missing validator skips only its own check.
"""

from __future__ import annotations

import ast
import configparser
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib.metadata import version
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from app.icons import APP_ICON_SIZES, APP_ID

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"
DESKTOP = LINUX / f"{APP_ID}.desktop"
METAINFO = LINUX / f"{APP_ID}.metainfo.xml"
ICONS = ROOT / "resources" / "icons" / "app"


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (make test installs it)")
    return path


def test_desktop_entry_validates() -> None:
    result = subprocess.run(
        [_require("desktop-file-validate"), str(DESKTOP)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout.lower(), result.stdout


def test_metainfo_validates() -> None:
    result = subprocess.run(
        [_require("appstreamcli"), "validate", "--no-net", "--explain", str(METAINFO)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_desktop_entry_and_metainfo_agree_with_the_app() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(DESKTOP, encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Icon"] == APP_ID
    assert desktop["Exec"].split()[0] == "leap-sync"  # the gui-script in pyproject.toml
    component = ET.parse(METAINFO).getroot()  # noqa: S314 - our own file
    assert component.findtext("id") == APP_ID
    assert component.findtext("launchable") == DESKTOP.name
    assert component.findtext("project_license") == "MIT"
    newest = component.find("releases/release")
    assert newest is not None
    assert newest.get("version") == version("leap-sync"), "add a <release> for the new version"


def test_app_icon_pngs_match_the_svg() -> None:
    assert (ICONS / "leap-sync.svg").is_file()
    for size in APP_ICON_SIZES:
        image = QImage(str(ICONS / f"leap-sync-{size}.png"))
        assert (image.width(), image.height()) == (size, size)
    result = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "render_icons.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def _icon_names(source: Path) -> set[str]:
    """Icon names in ``icon("name", ...)`` calls and ``_action(obj, text, "name", ...)`` helpers."""
    names = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        position = {"icon": 0, "_action": 2}.get(called)
        if position is not None and len(node.args) > position:
            argument = node.args[position]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                names.add(argument.value)
    return names


def test_every_icon_the_app_names_exists() -> None:
    """Every icon the app asks for by name has its SVG in resources/icons (one set: Lucide)."""
    names = set().union(*(_icon_names(source) for source in (ROOT / "app").rglob("*.py")))
    assert {"upload", "download", "trash-2", "settings"} <= names  # the scan sees the toolbar
    missing = sorted(n for n in names if not (ROOT / "resources" / "icons" / f"{n}.svg").is_file())
    assert not missing
