"""The S3 sandbox the tests and the demo use: it survives a port taken behind its back."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from file_storage.sandbox import PortInUseError, SeaweedSandbox


def test_a_port_taken_after_it_was_picked_is_picked_again(tmp_path: Path) -> None:
    sandbox = SeaweedSandbox(tmp_path / "weed")
    taken = sandbox.ports["s3.port"]
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", taken))
        squatter.listen()
        try:
            sandbox.start(timeout=30)
            assert sandbox.ports["s3.port"] != taken
            assert "not available" in sandbox._log_tail() or "in use" in sandbox._log_tail()
        finally:
            sandbox.stop()


def test_a_fixed_port_that_is_taken_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        sandbox = SeaweedSandbox(tmp_path / "weed", ports={"s3.port": port})
        try:
            with pytest.raises(PortInUseError, match="exited at start"):
                sandbox.start(timeout=30)
        finally:
            sandbox.stop()
