"""Human-readable sizes for messages and the CLI."""

from __future__ import annotations

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def gib_to_bytes(gib: float | None) -> int | None:
    """A quota in GiB (the design note's "GB", computed as 1024**3) in bytes; None stays None."""
    return None if gib is None else int(gib * 1024**3)


def human_size(nbytes: int | float) -> str:
    """Format a byte count with binary units: ``1536`` -> ``'1.5 KiB'``."""
    value = float(nbytes)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
