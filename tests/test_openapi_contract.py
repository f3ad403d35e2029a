"""The API answers as its OpenAPI document says: a bounded schemathesis run finds nothing.

The real app (lifespan run, embedded PostgreSQL, Redis and Temporal) serves HTTP on a free
local port in a thread of its own; the schemathesis CLI, in a subprocess, loads
``/openapi.json`` from it and runs its coverage, fuzzing and stateful phases against every
operation with an admin token of a seeded tenant. Any server error, any answer the document
does not declare (status, content type, body, headers) and any invalid request accepted (or
valid one refused) fails the test, with schemathesis' report of the cases (and curl commands
to reproduce them) as the message.

The budget is fixed (a seed, deterministic generation, ``MAX_EXAMPLES`` per operation, one
worker), so a run is reproducible and takes about a minute on a loaded 2-core machine (three
while the server left Nagle's algorithm on: ``pipeline_support.loopback_socket``; two workers
took a quarter less, but then the order in which operations see each other's data, and so
the run, varies).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from myloware.auth.principal import Capability
from myloware.settings import Settings
from tests.auth_support import TokenFor
from tests.pipeline_support import serving

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 8
RUN_TIMEOUT_S = 420

#: schemathesis.toml of the run: every check schemathesis has (its default) but the one that
#: needs a second tenant's credentials. A policy is a document in a language of its own (YAML
#: text, or JSON whose rules hold condition expressions): JSON Schema can say its shape, not
#: which ones parse, so a valid-looking policy that does not is refused with 422, and
#: "schema-valid requests are accepted" cannot hold for the two operations that take one. All
#: the other checks apply to them; tests/test_api_governance.py covers publishing and dry runs.
#: The same holds for the two reports' periods (see below).
CONFIG = """
generation.deterministic = true
# text PostgreSQL cannot store (NUL) is refused everywhere with 422, as the API's description
# says; tests/test_api_bad_input.py proves it for each kind of request
generation.allow-x00 = false
workers = 1
request-timeout = 30
suppress-health-check = ["all"]
phases.examples.enabled = true
phases.coverage.enabled = true
phases.fuzzing.enabled = true
phases.stateful.enabled = true

[checks]
object_level_authorization.enabled = false

[[operations]]
include-operation-id = "publish_v1_policies_post"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-operation-id = "dry_run_policy_v1_policies_dry_run_post"
checks.positive_data_acceptance.enabled = false

# a report's period is two days, each valid alone; JSON Schema cannot say that "to" comes
# after "from" nor that they lie at most 366 days apart, so such a pair is refused with 422
# (tests/test_ui_costs.py covers both refusals)
[[operations]]
include-operation-id = "cost_report_v1_costs_get"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-operation-id = "accuracy_report_v1_accuracy_get"
checks.positive_data_acceptance.enabled = false
"""


def test_the_api_answers_as_its_openapi_document_says(
    settings: Settings,
    database_url: str,
    clean_redis: str,
    temporal_address: str,
    token_for: TokenFor,
    tmp_path: Path,
) -> None:
    """Schemathesis' phases find no server error and no disagreement with /openapi.json."""
    headers = token_for("acme", *(str(c) for c in Capability), groups=("finance",))
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    local = settings.model_copy(
        # bad credentials are part of the run: the address must not be locked out for them
        update={"auth_failures_per_minute": 100_000, "rate_limit_per_minute": 100_000}
    )
    with serving(
        local,
        database_url=database_url,
        redis_url=clean_redis,
        temporal_address=temporal_address,
    ) as base_url:
        document = httpx.get(f"{base_url}/openapi.json").json()
        command = [
            sys.executable,
            "-m",
            "schemathesis.cli",
            f"--config-file={config}",
            "run",
            f"{base_url}/openapi.json",
            f"--header=Authorization:{headers['Authorization']}",
            f"--max-examples={MAX_EXAMPLES}",
            "--no-color",
            "--output-truncate=false",
            f"--report-dir={tmp_path}",
        ]
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            cwd=tmp_path,
            check=False,
        )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    # the run reached every operation and generated cases (an empty run passes too)
    operations = len([m for ops in document["paths"].values() for m in ops])
    assert f"Selected: {operations}/{operations}" in output, output
    assert f"Tested: {operations}" in output, output
    generated = re.search(r"(\d+) generated, (\d+) passed", output)
    assert generated is not None and int(generated[1]) >= 20 * operations, output
