"""Where the services are: from settings (external) or from the running ``myloware up``.

``myloware up`` writes ``<data_dir>/runtime.json`` while it runs, so the other commands on
the same machine (``submit``, ``token create``, ``worker`` …) find the embedded services.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from myloware.errors import ConfigurationError
from myloware.settings import Settings

RUNTIME_FILE = "runtime.json"


@dataclass(frozen=True, slots=True)
class Endpoints:
    database_url: str
    redis_url: str
    temporal_address: str
    api_url: str | None = None
    temporal_ui_url: str | None = None
    dev_token: str | None = None
    extractor: str | None = None  # what `myloware up` runs: rules, model or hybrid
    model_url: str | None = None  # its embedded model server, when it runs one


def write_runtime_file(settings: Settings, endpoints: Endpoints) -> Path:
    path = settings.data_path / RUNTIME_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(endpoints), indent=2))
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return path


def remove_runtime_file(settings: Settings) -> None:
    (settings.data_path / RUNTIME_FILE).unlink(missing_ok=True)


def read_runtime_file(settings: Settings) -> Endpoints | None:
    path = settings.data_path / RUNTIME_FILE
    try:
        return Endpoints(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def resolve_endpoints(settings: Settings) -> Endpoints:
    """External URLs from settings win; missing ones come from a running ``myloware up``."""
    running = read_runtime_file(settings)
    database_url = settings.database_url or (running.database_url if running else None)
    redis_url = settings.redis_url or (running.redis_url if running else None)
    temporal = settings.temporal_address or (running.temporal_address if running else None)
    if not (database_url and redis_url and temporal):
        missing = [
            name
            for name, value in (
                ("MYLOWARE_DATABASE_URL", database_url),
                ("MYLOWARE_REDIS_URL", redis_url),
                ("MYLOWARE_TEMPORAL_ADDRESS", temporal),
            )
            if not value
        ]
        raise ConfigurationError(
            f"no running platform found under {settings.data_path} and {', '.join(missing)} "
            "not set: start it with `myloware up`, or point the settings at your services"
        )
    return Endpoints(
        database_url=database_url,
        redis_url=redis_url,
        temporal_address=temporal,
        api_url=settings.api_url or (running.api_url if running else None),
        temporal_ui_url=running.temporal_ui_url if running else None,
        dev_token=running.dev_token if running else None,
    )
