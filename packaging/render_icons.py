"""Render the app icon (resources/icons/app/leap-sync.svg) to PNGs at the usual sizes.

Run after changing the SVG and commit the PNGs: ``.venv/bin/python packaging/render_icons.py``.
``--check`` renders in memory and exits 1 if a committed PNG is missing or differs (the test suite
runs it, so the PNGs never drift from the SVG).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICON_DIR = Path(__file__).resolve().parents[1] / "resources" / "icons" / "app"
SVG = ICON_DIR / "leap-sync.svg"
SIZES = (16, 32, 48, 64, 128, 256, 512)


def png_path(size: int) -> Path:
    """Return where the PNG of ``size`` pixels lives."""
    return ICON_DIR / f"leap-sync-{size}.png"


def render(size: int) -> QImage:
    """Render the SVG into a transparent square image of ``size`` pixels."""
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"{SVG} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check``, compare) every PNG; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    stale = []
    for size in SIZES:
        image = render(size)
        target = png_path(size)
        if args.check:
            committed = QImage(str(target))
            if committed.isNull() or committed.convertToFormat(image.format()) != image:
                stale.append(target.name)
        elif not image.save(str(target), "PNG"):
            raise SystemExit(f"could not write {target}")
    if stale:
        print(f"out of date (run packaging/render_icons.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
