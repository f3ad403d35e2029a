"""Policy documents: loading YAML/JSON, readable errors, durations, canonical form, digest."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from myloware.errors import ConfigurationError, ValidationFailed
from myloware.policy import (
    Action,
    format_duration,
    load_policy,
    load_policy_file,
    parse_duration,
    policy_digest,
    policy_from_dict,
    policy_to_dict,
)

VALID = """
name: ap-policy
version: "2024-06-01.1"
approver_groups:
  finance: [{group: finance, sla: 4h}, {group: finance-leads, sla: 8h}]
rules:
  - id: big
    when: {type: amount_above, threshold: 10000}
    then: {action: REQUIRE_APPROVAL, approver_group: finance}
"""


def error_of(text: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        load_policy(text)
    return caught.value


def with_rule(rule: str, groups: str = "{finance: [{group: finance, sla: 4h}]}") -> str:
    return f'name: p\nversion: "1"\napprover_groups: {groups}\nrules:\n  - {rule}\n'


# --- loading ------------------------------------------------------------------------------


def test_yaml_document_loads_with_defaults() -> None:
    """A minimal YAML policy loads; unstated settings take their documented defaults."""
    policy = load_policy(VALID)
    assert policy.name == "ap-policy" and policy.version == "2024-06-01.1"
    assert policy.default_action is Action.AUTO_APPROVE
    assert policy.on_sla_exhausted is Action.REJECT
    assert [t.sla for t in policy.approver_groups["finance"]] == [14400, 28800]


def test_json_document_loads_the_same_policy() -> None:
    """The same document written in JSON gives an equal policy with the same digest."""
    as_json = json.dumps(policy_to_dict(load_policy(VALID)))
    assert load_policy(as_json, fmt="json") == load_policy(VALID)


def test_policy_files_load_by_suffix(tmp_path: Path) -> None:
    """load_policy_file reads .json as JSON and anything else as YAML."""
    (tmp_path / "p.yaml").write_text(VALID)
    (tmp_path / "p.json").write_text(json.dumps(policy_to_dict(load_policy(VALID))))
    assert load_policy_file(tmp_path / "p.yaml") == load_policy_file(str(tmp_path / "p.json"))


def test_missing_policy_file_is_a_configuration_error(tmp_path: Path) -> None:
    """A policy file that cannot be read raises ConfigurationError naming it."""
    with pytest.raises(ConfigurationError, match=r"absent\.yaml"):
        load_policy_file(tmp_path / "absent.yaml")


def test_unquoted_date_or_integer_versions_stay_text() -> None:
    """YAML dates and integers given as version become their text; floats are refused."""
    assert load_policy("name: p\nversion: 2024-06-01\n").version == "2024-06-01"
    assert load_policy("name: p\nversion: 3\n").version == "3"
    assert "quoted string" in str(error_of("name: p\nversion: 1.10\n"))


# --- readable errors ----------------------------------------------------------------------


def test_unknown_condition_type_names_the_rule_and_the_choices() -> None:
    """An unknown condition type names the rule and lists the valid types."""
    error = error_of(
        with_rule("{id: odd, when: {type: amount_over, threshold: 1}, then: {action: REJECT}}")
    )
    assert "rule 'odd' (rules[0]) when" in str(error)
    assert "unknown condition type 'amount_over'" in str(error)
    assert "amount_above" in str(error)
    assert error.details["errors"][0]["rule_id"] == "odd"


def test_bad_duration_names_the_group_and_field() -> None:
    """An unreadable SLA names the approver group tier and shows the accepted forms."""
    error = error_of(
        with_rule(
            "{id: a, when: {type: new_vendor}, then: {action: REJECT}}",
            groups="{finance: [{group: finance, sla: soon}]}",
        )
    )
    assert "approver_groups.finance[0].sla" in str(error)
    assert "invalid duration 'soon'" in str(error) and "'4h'" in str(error)


def test_require_approval_without_group_is_refused() -> None:
    """REQUIRE_APPROVAL without approver_group is an error on that rule's then."""
    error = error_of(
        with_rule("{id: a, when: {type: new_vendor}, then: {action: REQUIRE_APPROVAL}}")
    )
    assert "rule 'a' (rules[0]) then: REQUIRE_APPROVAL needs an approver_group" in str(error)


def test_unknown_approver_group_is_refused() -> None:
    """A rule naming an undefined approver group is refused with the defined ones listed."""
    error = error_of(
        with_rule(
            "{id: a, when: {type: new_vendor},"
            " then: {action: REQUIRE_APPROVAL, approver_group: cfo}}"
        )
    )
    assert "rule 'a' (rules[0]) then.approver_group" in str(error)
    assert "'cfo' is not defined" in str(error) and "defined: finance" in str(error)


def test_several_problems_are_reported_together() -> None:
    """Every problem is listed at once, each with its own location."""
    text = (
        'name: p\nversion: "1"\nrules:\n'
        "  - {id: a, when: {type: all, conditions: [{type: amount_above}]},"
        " then: {action: REJECT}}\n"
        "  - {id: a, when: {type: new_vendor}, then: {action: REJECT, sla: 4h}, colour: red}\n"
    )
    error = error_of(text)
    locations = [problem["location"] for problem in error.details["errors"]]
    assert "rule 'a' (rules[0]) when.all.conditions[0].amount_above.threshold" in locations
    assert "rule 'a' (rules[1]) colour" in locations
    assert "rule 'a' (rules[1]) then" in locations
    assert "(3 problems)" in str(error)


def test_on_sla_exhausted_must_be_a_final_action() -> None:
    """on_sla_exhausted accepts only AUTO_APPROVE or REJECT, and says so."""
    error = error_of('name: p\nversion: "1"\non_sla_exhausted: REQUIRE_APPROVAL\n')
    assert "on_sla_exhausted: should be 'AUTO_APPROVE' or 'REJECT'" in str(error)


def test_duplicate_rule_ids_are_refused() -> None:
    """Rule ids must be unique; the second use is the one reported."""
    rule = "{id: a, when: {type: new_vendor}, then: {action: REJECT}}"
    error = error_of(with_rule(rule) + f"  - {rule}\n")
    assert "rule 'a' (rules[1]) id: duplicate rule id; rules[0] already uses it" in str(error)


def test_syntax_errors_and_duplicate_keys_are_validation_failures() -> None:
    """Broken YAML/JSON, repeated keys and non-mapping documents raise ValidationFailed."""
    assert "not valid YAML" in str(error_of("name: [p"))
    assert "duplicate key 'then'" in str(
        error_of(
            with_rule(
                "{id: a, when: {type: new_vendor}, then: {action: REJECT}, then: {action: REJECT}}"
            )
        )
    )
    assert "must be a mapping" in str(error_of("- 1\n- 2\n"))
    with pytest.raises(ValidationFailed, match="duplicate key 'name'"):
        load_policy('{"name": "a", "name": "b", "version": "1"}', fmt="json")
    with pytest.raises(ValidationFailed, match="not valid JSON"):
        load_policy("{", fmt="json")
    with pytest.raises(ValidationFailed, match="got nothing"):
        policy_from_dict(None)


# --- durations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("30m", 1800),
        ("4h", 14400),
        ("2d", 172800),
        ("1w", 604800),
        ("1h30m", 5400),
        ("PT4H", 14400),
        ("P1DT2H", 93600),
        ("pt30m", 1800),
        (timedelta(minutes=10), 600),
    ],
)
def test_durations_parse_to_seconds(text: str | timedelta, seconds: int) -> None:
    """Shorthand, ISO-8601 and timedeltas all parse to whole seconds."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text", ["", "4", 4, 4.5, "4x", "0m", "-PT4H", "P1M", "PT0.5S", "soon", True, None]
)
def test_bad_durations_are_refused(text: object) -> None:
    """Unitless, unknown-unit, non-positive, calendar and fractional durations are refused."""
    with pytest.raises(ValueError):
        parse_duration(text)


def test_unitless_sla_in_a_document_asks_for_a_unit() -> None:
    """sla: 4 is refused with a hint to write the unit, instead of meaning 4 seconds."""
    error = error_of(
        with_rule(
            "{id: a, when: {type: new_vendor}, then: {action: REJECT}}",
            groups="{finance: [{group: finance, sla: 4}]}",
        )
    )
    assert "duration 4 has no unit: write e.g. '4s', '4m' or '4h'" in str(error)


def test_durations_format_as_shortest_shorthand() -> None:
    """Seconds are written back as the shortest exact shorthand."""
    assert [format_duration(s) for s in (90, 1800, 14400, 5400, 864000, 1209600)] == [
        "1m30s",
        "30m",
        "4h",
        "1h30m",
        "10d",
        "2w",
    ]


# --- canonical form and digest ------------------------------------------------------------


def test_digest_ignores_spelling_but_not_meaning() -> None:
    """Equivalent spellings share a digest; any change of meaning changes it."""
    base = policy_digest(load_policy(VALID))
    respelled = VALID.replace("sla: 4h", "sla: PT4H").replace("10000", '"10000.00"')
    explicit = VALID + "default_action: AUTO_APPROVE\non_sla_exhausted: REJECT\n"
    assert policy_digest(load_policy(respelled)) == base
    assert policy_digest(load_policy(explicit)) == base
    assert policy_digest(load_policy(VALID.replace("10000", "20000"))) != base
    assert policy_digest(load_policy(VALID.replace("sla: 8h", "sla: 9h"))) != base
    assert len(base) == 64 and int(base, 16) >= 0


def test_canonical_dict_round_trips() -> None:
    """policy_to_dict gives JSON data that policy_from_dict reads back unchanged."""
    policy = load_policy(VALID)
    data = policy_to_dict(policy)
    assert data["approver_groups"]["finance"][1] == {"group": "finance-leads", "sla": "8h"}
    assert data["rules"][0]["when"] == {
        "type": "amount_above",
        "field": "total_amount",
        "threshold": "10000",
        "currency": None,
    }
    assert policy_from_dict(json.loads(json.dumps(data))) == policy


DOCS = Path(__file__).resolve().parents[1] / "docs" / "policies.md"


@pytest.mark.skipif(not DOCS.exists(), reason="docs/policies.md not present")
def test_policy_examples_in_the_docs_are_valid() -> None:
    """Every YAML example in docs/policies.md loads as a policy."""
    blocks = re.findall(r"```yaml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert blocks
    for block in blocks:
        assert load_policy(block).rules
