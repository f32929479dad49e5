"""The interface language: which one, loading its catalogues, and building them.

The language is, in order: ``LEAP_SYNC_LANG`` (tests, CI, a quick check), the *Language* choice
in Settings (QSettings ``ui/language``: ``system``, ``en`` or ``ru``), else the system locale's
UI languages (Russian if the user reads it, English otherwise). It is chosen once, before any
window is built; a change in Settings takes effect at the next start.

Catalogues are Qt ``.ts`` files in ``resources/translations`` (the source text is English), and
``pyside6-lrelease`` compiles them into ``.qm`` files next to them at build time (``make``,
``python -m app.i18n --compile``, the PyInstaller spec). ``python -m app.i18n --update``
re-extracts the strings of ``app/`` into the ``.ts`` files (``make translations-update``). See
docs/translations.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QCoreApplication, QLocale, QSettings, QTranslator

logger = logging.getLogger(__name__)

#: The languages the app ships catalogues for; the first is the source language.
LANGUAGES = ("en", "ru")
SOURCE_LANGUAGE = "en"
#: QSettings key of the override chosen in Settings.
SETTING_LANGUAGE = "ui/language"
SYSTEM = "system"
#: Environment override, stronger than the setting (tests and CI set it to ``en``).
ENV_LANGUAGE = "LEAP_SYNC_LANG"
CATALOGUE = "leap_sync"
#: Qt's own catalogue for standard buttons and dialogs (OK, Cancel, the file dialog).
QT_CATALOGUE = "qtbase"

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "resources" / "translations"
#: lupdate's options per catalogue: English only needs its plural forms ("1 file", "2 files").
LUPDATE_OPTIONS = {"en": ["-pluralonly"], "ru": []}
TARGET_LANGUAGES = {"en": "en", "ru": "ru_RU"}


def normalize(value: object) -> str | None:
    """``"ru"``, ``"ru_RU"``, ``"ru-RU.UTF-8"`` -> ``"ru"``; ``"system"`` -> ``"system"``;
    anything the app has no catalogue for -> ``None``."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().lower()
    if text == SYSTEM:
        return SYSTEM
    code = text.replace("-", "_").split("_")[0].split(".")[0]
    return code if code in LANGUAGES else None


def system_language(locale: QLocale) -> str:
    """The first of the locale's UI languages the app speaks; English if none."""
    for name in [*locale.uiLanguages(), locale.name()]:
        code = normalize(name)
        if code is not None and code != SYSTEM:
            return code
    return SOURCE_LANGUAGE


def choose_language(
    *, setting: object = None, environment: str | None = None, locale: QLocale | None = None
) -> str:
    """Pick the interface language: the environment, else the setting, else the system.

    Args:
        setting: The Settings choice (``"system"``, ``"en"``, ``"ru"``; anything else is
            ignored).
        environment: The value of ``LEAP_SYNC_LANG`` (same values).
        locale: The system locale (``QLocale.system()`` when ``None``).
    """
    for choice in (normalize(environment), normalize(setting)):
        if choice is not None and choice != SYSTEM:
            return choice
    if locale is None:
        from PySide6.QtCore import QLocale

        locale = QLocale.system()
    return system_language(locale)


def configured_language(settings: QSettings | None = None) -> str:
    """The language this start uses, from ``LEAP_SYNC_LANG``, Settings and the system locale."""
    from PySide6.QtCore import QSettings

    settings = settings if settings is not None else QSettings()
    return choose_language(
        setting=settings.value(SETTING_LANGUAGE, SYSTEM),
        environment=os.environ.get(ENV_LANGUAGE),
    )


def qt_translations_dirs() -> list[Path]:
    """Where Qt's own catalogues are: Qt's translations path, then PySide6's folder."""
    import PySide6
    from PySide6.QtCore import QLibraryInfo

    found = [Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))]
    found.append(Path(PySide6.__file__).resolve().parent / "Qt" / "translations")
    return list(dict.fromkeys(found))


def load_translators(language: str, parent: QCoreApplication | None = None) -> list[QTranslator]:
    """The translators for ``language``: the app's catalogue, then Qt's (not installed yet).

    A missing catalogue is logged and skipped: the app then shows English there.
    """
    from PySide6.QtCore import QTranslator

    translators: list[QTranslator] = []
    app_catalogue = files("resources") / "translations" / f"{CATALOGUE}_{language}.qm"
    translator = QTranslator(parent)
    with as_file(app_catalogue) as path:
        # A file-system package (a checkout, an installed wheel, the bundle): the path stays.
        if path.is_file() and translator.load(str(path)):
            translators.append(translator)
        else:
            logger.warning(
                "No compiled catalogue %s: the interface stays in English "
                "(run `make` or `python -m app.i18n --compile`)",
                path,
            )
    if language != SOURCE_LANGUAGE:
        for folder in qt_translations_dirs():
            qt = QTranslator(parent)
            if qt.load(f"{QT_CATALOGUE}_{language}", str(folder)):
                translators.append(qt)
                break
        else:
            logger.warning("Qt's own %s catalogue was not found", language)
    return translators


def install_translations(
    app: QCoreApplication, language: str | None = None
) -> tuple[str, list[QTranslator]]:
    """Install the catalogues of ``language`` (default: :func:`configured_language`) on ``app``.

    Call it before any window is built: texts are translated when widgets are created.
    Returns the language and the installed translators (children of ``app``).
    """
    language = language or configured_language()
    translators = load_translators(language, app)
    for translator in translators:
        app.installTranslator(translator)
    logger.info("Interface language: %s (%d catalogues)", language, len(translators))
    return language, translators


# ----------------------------------------------------------------- build time


def _tool(name: str) -> str:
    """The PySide6 tool ``pyside6-<name>`` next to this Python, else on PATH."""
    beside = Path(sys.executable).parent / f"pyside6-{name}"
    return str(beside) if beside.exists() else f"pyside6-{name}"


def catalogues(folder: Path = TRANSLATIONS) -> list[Path]:
    return sorted(folder.glob(f"{CATALOGUE}_*.ts"))


def stale(ts_files: Iterable[Path]) -> list[Path]:
    """The ``.ts`` files whose ``.qm`` is missing or older."""
    out = []
    for ts in ts_files:
        qm = ts.with_suffix(".qm")
        if not qm.exists() or qm.stat().st_mtime < ts.stat().st_mtime:
            out.append(ts)
    return out


def compile_catalogues(folder: Path = TRANSLATIONS, *, force: bool = False) -> list[Path]:
    """Compile each ``.ts`` in ``folder`` whose ``.qm`` is missing or older; return the
    ``.qm`` files written. The Makefile's rule runs the same command per file."""
    written = []
    for ts in catalogues(folder) if force else stale(catalogues(folder)):
        qm = ts.with_suffix(".qm")
        subprocess.run([_tool("lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True)
        written.append(qm)
    return written


def update_catalogues(
    sources: Sequence[Path] | None = None, folder: Path = TRANSLATIONS
) -> list[Path]:
    """Re-extract the strings of ``app/`` into every language's ``.ts`` (new ones unfinished)."""
    sources = sources or sorted((ROOT / "app").rglob("*.py"))
    written = []
    for language in LANGUAGES:
        ts = folder / f"{CATALOGUE}_{language}.ts"
        subprocess.run(
            [
                _tool("lupdate"),
                *[str(path) for path in sources],
                "-target-language",
                TARGET_LANGUAGES[language],
                "-locations",
                "relative",
                "-no-obsolete",
                *LUPDATE_OPTIONS[language],
                "-ts",
                str(ts),
            ],
            check=True,
            cwd=ROOT,
        )
        written.append(ts)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.i18n", description=__doc__)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--compile", action="store_true", help="build stale .qm files")
    group.add_argument("--update", action="store_true", help="re-extract strings into .ts")
    parser.add_argument("--force", action="store_true", help="with --compile: rebuild all")
    args = parser.parse_args(argv)
    if args.update:
        update_catalogues()
    else:
        for qm in compile_catalogues(force=args.force):
            print(f"compiled {qm.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
