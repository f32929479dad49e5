# Leap Sync: `make run` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Qt's xcb platform plugin needs these to open a real window (not needed offscreen).
GUI_PACKAGES := libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 \
	libxcb-render-util0 libxcb-image0 libegl1 libgl1 libfontconfig1 libdbus-1-3
# make package: PyInstaller reads and strips binaries with binutils (objdump, strip).
PACKAGE_PACKAGES := binutils
# make test: ffmpeg (sample clips), a real Secret Service (keyring tests), Xvfb (screenshot test),
# the bundle build, the validators of the desktop entry and AppStream metadata, and rclone
# (tests/cli/test_interop.py: rclone finds nothing to do after leap-storage sync).
TEST_PACKAGES := ffmpeg gnome-keyring dbus-x11 xvfb openssl procps $(GUI_PACKAGES) \
	$(PACKAGE_PACKAGES) appstream desktop-file-utils rclone
# Most tests wait on servers, processes and timeouts rather than the CPU: three workers (each
# with its own SeaweedFS) keep the suite well under CI's 15 minutes on 2 cores. Whole files go to
# one worker, so module fixtures are shared as before. PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 3
PYTEST_ARGS ?=
# Translations: the .ts files are sources; the .qm files next to them are built (and ignored).
TS_FILES := $(wildcard resources/translations/*.ts)
QM_FILES := $(TS_FILES:.ts=.qm)

.PHONY: run test lint bench format clean venv package translations translations-update

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Leap Sync needs Python 3.11 or newer ($(PYTHON) is older)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Re-install when the dependency list or the pinned versions change.
$(STAMP): pyproject.toml requirements.lock | $(PY)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c requirements.lock -e ".[test,dev,bench,packaging]"
	@touch $@

venv: $(STAMP)

# Compile a catalogue when its .ts is newer (the same command as python -m app.i18n --compile).
resources/translations/%.qm: resources/translations/%.ts | $(STAMP)
	$(VENV)/bin/pyside6-lrelease -silent $< -qm $@

translations: $(QM_FILES)

# Developer task: re-extract the strings of app/ into the .ts files (new ones come unfinished;
# translate them with .venv/bin/pyside6-linguist). See docs/translations.md.
translations-update: $(STAMP)
	$(PY) -m app.i18n --update

run: $(STAMP) $(QM_FILES)
	@bash scripts/ensure-system-packages.sh ffmpeg $(GUI_PACKAGES)
	@if [ -z "$$DISPLAY$$WAYLAND_DISPLAY" ] && [ "$$QT_QPA_PLATFORM" != "offscreen" ]; then \
		echo "No display found: run 'make run' in a desktop session, or try it headless with"; \
		echo "  QT_QPA_PLATFORM=offscreen make run      (or: xvfb-run make run)"; exit 1; fi
	$(VENV)/bin/leap-sync

test: $(STAMP) $(QM_FILES)
	@bash scripts/ensure-system-packages.sh $(TEST_PACKAGES)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The one-folder bundle dist/leap-sync/ (PyInstaller; packaging/leap-sync.spec). Prints its size.
package: $(STAMP) $(QM_FILES)
	@bash scripts/ensure-system-packages.sh $(PACKAGE_PACKAGES)
	$(PY) packaging/build_bundle.py --dist dist --work build/pyinstaller

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) -m bench.run_bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache bench/work dist build/pyinstaller build/bundle
	rm -f $(QM_FILES)
