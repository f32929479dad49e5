"""The design note's own `.env` snippet (inline comments, empty values) works as written."""

from __future__ import annotations

from pathlib import Path

from file_storage import S3StorageBackend, create_storage_backend
from file_storage.settings import StorageSettings

DESIGN_NOTE_ENV = """\
# Storage Configuration
STORAGE_TYPE=S3  # or LOCAL

# S3 Configuration (if STORAGE_TYPE=S3)
STORAGE_S3_BUCKET=my-leap-bucket
STORAGE_S3_PREFIX=storage
STORAGE_S3_REGION=us-east-1
STORAGE_S3_ACCESS_KEY_ID=your_access_key
STORAGE_S3_SECRET_ACCESS_KEY=your_secret_key
STORAGE_S3_ENDPOINT_URL=  # Optional, for S3-compatible services
STORAGE_S3_MAX_SIZE_GB=100  # Optional quota
"""


def test_design_note_env_file_selects_s3(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(DESIGN_NOTE_ENV)
    settings = StorageSettings(_env_file=env)  # type: ignore[call-arg]
    assert settings.storage_type == "S3"
    assert settings.s3_endpoint_url is None
    assert settings.s3_max_size_gb == 100
    assert settings.s3_secret_access_key is not None
    assert settings.s3_secret_access_key.get_secret_value() == "your_secret_key"
    backend = create_storage_backend(settings)
    assert isinstance(backend, S3StorageBackend)
    assert backend.quota.limit_bytes == 100 * 1024**3
    assert "your_secret_key" not in repr(backend) + repr(settings) + backend.describe()


def test_env_example_documents_every_setting() -> None:
    """`.env.example` names every STORAGE_* variable the settings read, and only those."""
    example = (Path(__file__).parent.parent / ".env.example").read_text()
    documented = {
        line.split("=", 1)[0] for line in example.splitlines() if line.startswith("STORAGE_")
    }
    fields = {
        "STORAGE_TYPE" if name == "storage_type" else f"STORAGE_{name.upper()}"
        for name in StorageSettings.model_fields
    }
    assert documented == fields
