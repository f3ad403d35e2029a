"""Lint and render the Helm chart with Helm's own code, and validate what it renders against
the Kubernetes schemas. Needs the tools of ``make deploy-check`` (helm-python-sdk, Helm v4 as
a library, and kubernetes-validate); it is not part of the test suite's dependencies.

    make deploy-check            # or: .venv-deploy/bin/python scripts/check_deploy.py
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import helm_python  # type: ignore[import-not-found]
import kubernetes_validate  # type: ignore[import-not-found]
import yaml

CHART = Path(__file__).resolve().parents[1] / "deploy" / "helm" / "myloware"
KUBE_VERSION = "1.30.0"

SECRETS = {
    "MYLOWARE_DATABASE_URL": "postgresql://myloware:pw@db.internal:5432/myloware",
    "MYLOWARE_REDIS_URL": "rediss://:pw@redis.internal:6380/0",
    "MYLOWARE_JWT_SECRET": "x" * 48,
    "MYLOWARE_SECRETS_KEY": "k" * 44,
}
#: Value sets that switch each optional part on or off.
CASES: dict[str, dict[str, Any]] = {
    "defaults, the chart's Secret": {"secrets": {"values": SECRETS}},
    "existing Secret, ingress, no autoscaling, no volume": {
        "secrets": {"existingSecret": "myloware-secrets"},
        "ingress": {
            "enabled": True,
            "className": "nginx",
            "tls": [{"secretName": "myloware-tls", "hosts": ["myloware.example.com"]}],
        },
        "worker": {"autoscaling": {"enabled": False}},
        "persistence": {"enabled": False},
    },
    "the bundled model server, hybrid extractor": {
        "secrets": {"values": SECRETS},
        "model": {"enabled": True},
        "config": {"MYLOWARE_EXTRACTOR": "hybrid"},
    },
}


def check(name: str, values: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    report = helm_python.lint(str(CHART), values, strict=True, kube_version=f"v{KUBE_VERSION}")
    problems += [f"lint: {m}" for m in report["messages"] if m["severity"] >= 2]
    problems += [f"lint: {e}" for e in report["errors"]]
    chart = helm_python.Chart.load(str(CHART))
    try:
        rendered = chart.render(values, name="myloware", namespace="myloware", is_install=True)
    finally:
        chart.close()
    kinds = []
    for path, text in sorted(rendered.items()):
        if path.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if not doc:
                continue
            kinds.append(f"{doc['kind']}/{doc['metadata']['name']}")
            try:
                kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)
            except kubernetes_validate.ValidationError as exc:
                problems.append(f"{path}: {doc['kind']}: {exc.message}")
    print(f"{name}: {len(kinds)} objects valid for Kubernetes {KUBE_VERSION}: {', '.join(kinds)}")
    return problems


def main() -> int:
    problems = [p for name, values in CASES.items() for p in check(name, values)]
    try:  # no secret values and no existing Secret: the chart must refuse to render
        helm_python.Chart.load(str(CHART)).render({}, name="myloware", is_install=True)
        problems.append("rendered without any secret values")
    except helm_python.HelmRenderError:
        print("without secrets: refused, as it should be")
    for problem in problems:
        print(f"PROBLEM {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
