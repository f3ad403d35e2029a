"""The deployment files say only what the code understands: every MYLOWARE_* variable they
set is a real setting, every command they run is a real ``myloware`` command, and the
shapes an operator relies on hold (roles, probes, non-root, migrations first).

No Docker engine, cluster or ``helm`` binary runs here: docs/deploy.md says what was and
was not checked beyond this test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer
import yaml

from myloware.cli import app as cli_app
from myloware.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
CHART = DEPLOY / "helm" / "myloware"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
ROLES = ("api", "worker", "relay")
_VARIABLE = re.compile(r"\bMYLOWARE_[A-Z0-9_]+\b")


def setting_names() -> set[str]:
    return {f"MYLOWARE_{name.upper()}" for name in Settings.model_fields}


def cli_commands() -> set[str]:
    group = typer.main.get_command(cli_app)
    return set(getattr(group, "commands", {}))


def _deploy_files() -> list[Path]:
    files = [DOCKERFILE, *sorted(p for p in DEPLOY.rglob("*") if p.is_file())]
    assert COMPOSE in files and (CHART / "values.yaml") in files
    return files


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def test_every_myloware_variable_named_anywhere_is_a_setting() -> None:
    known = setting_names()
    unknown = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in _deploy_files()
        for name in _VARIABLE.findall(path.read_text())
        if name not in known
    }
    assert sorted(unknown) == []


def test_the_compose_file_runs_each_role_against_real_services() -> None:
    services = _compose()["services"]
    commands, known = cli_commands(), setting_names()
    assert {"api", "worker", "relay", "migrate", "postgres", "redis", "temporal"} <= set(services)
    assert "pgvector" in services["postgres"]["image"]
    assert services["temporal"]["environment"]["DB"].startswith("postgres")  # persisted
    for name in (*ROLES, "migrate"):
        service = services[name]
        assert service["command"][0] in commands, name
        env = service["environment"]
        assert {k for k in env if k.startswith("MYLOWARE_")} <= known
        for needed in ("DATABASE_URL", "REDIS_URL", "TEMPORAL_ADDRESS", "JWT_SECRET"):
            assert f"MYLOWARE_{needed}" in env, (name, needed)
        assert env["MYLOWARE_ENV"] == "production"
    for role in ROLES:  # the schema is migrated before any role starts
        assert services[role]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    for role in ("worker", "relay"):  # checked on their metrics port, not the API's
        env = services[role]["environment"]
        assert env["HEALTHCHECK_URL"].endswith(f":{env['MYLOWARE_METRICS_PORT']}/metrics")
    assert services["api"]["command"] == ["api"]


def test_the_chart_values_name_real_settings_and_commands() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2" and chart["name"] == "myloware"
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    known, commands = setting_names(), cli_commands()
    assert set(values["config"]) <= known
    assert set(values["secrets"]["values"]) <= known
    for role in (*ROLES, "migrate", "model"):
        assert values[role]["args"][0] in commands, role
        assert values[role]["resources"]["requests"], role
    assert values["model"]["enabled"] is False  # the rules extractor needs no model
    assert values["podSecurityContext"]["runAsNonRoot"] is True
    assert values["worker"]["autoscaling"]["enabled"] is True


def test_the_chart_templates_probe_health_and_migrate_first() -> None:
    templates = {p.name: p.read_text() for p in (CHART / "templates").iterdir()}
    deployments = templates["deployments.yaml"]
    assert 'list "api" "worker" "relay"' in deployments
    assert "readinessProbe:\n            httpGet: {path: /health, port: http}" in deployments
    assert "path: /metrics, port: metrics" in deployments  # worker and relay
    assert "MYLOWARE_METRICS_PORT" in deployments
    migrate = templates["job-migrate.yaml"]
    assert "kind: Job" in migrate and "pre-install,pre-upgrade" in migrate
    assert "kind: PodDisruptionBudget" in templates["pdb.yaml"]
    assert "kind: HorizontalPodAutoscaler" in templates["hpa-worker.yaml"]
    assert "secretRef" in templates["_helpers.tpl"]  # secrets from the cluster
    model = templates["model.yaml"]  # ready once llama.cpp has loaded the model
    assert "readinessProbe:\n            httpGet: {path: /health, port: http}" in model
    assert "MYLOWARE_LOCAL_MODEL_BASE_URL" in templates["configmap.yaml"]
    # NOTES.txt's commands are real ones too
    for command in re.findall(r"-- myloware (\w+)", templates["NOTES.txt"]):
        assert command in cli_commands()


def test_the_image_is_multi_stage_non_root_and_checked() -> None:
    text = DOCKERFILE.read_text()
    assert len(re.findall(r"^FROM ", text, re.MULTILINE)) >= 2
    user = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert user and user[-1].split(":")[0] not in ("0", "root")
    assert "HEALTHCHECK" in text and "/health" in text
    assert 'ENTRYPOINT ["myloware"]' in text
    [cmd] = re.findall(r'^CMD \["(\w+)"\]', text, re.MULTILINE)
    assert cmd in cli_commands()
    assert "org.opencontainers.image.version" in text


def test_the_deploy_guide_names_real_commands_and_settings() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text()
    # `myloware <command>` as run, not the chart's path nor `helm install myloware <chart>`
    commands = set(re.findall(r"(?<!install )(?<![\w/-])myloware (\w+)", guide))
    assert {"migrate", "api", "worker", "relay", "token", "tenant"} <= commands
    assert commands <= cli_commands()
    assert set(_VARIABLE.findall(guide)) <= setting_names()
