"""The policy document: :class:`Policy`, its ordered :class:`Rule` s, the :class:`Action`
each rule takes and the escalation ladders (:class:`Tier`) of its approver groups.

Every model forbids unknown keys, so a typo in a document is an error, not a silently
ignored rule. Cross-references (a rule's ``approver_group`` must be defined, rule ids must be
unique) are checked when the document is loaded, with messages that name the rule.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from myloware.policy._combinators import Condition
from myloware.policy._duration import Seconds

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"
"""Policy names, rule ids and approver group names: no spaces, starts with a letter/digit."""


class Action(StrEnum):
    """What happens to the record. Strictness: REJECT > REQUIRE_APPROVAL > AUTO_APPROVE."""

    AUTO_APPROVE = "AUTO_APPROVE"
    REQUIRE_APPROVAL = "REQUIRE_APPROVAL"
    REJECT = "REJECT"

    @property
    def strictness(self) -> int:
        return _STRICTNESS[self]


_STRICTNESS = {Action.AUTO_APPROVE: 0, Action.REQUIRE_APPROVAL: 1, Action.REJECT: 2}

FinalAction = Literal[Action.AUTO_APPROVE, Action.REJECT]
"""What may happen when an approval ladder runs out: never another wait."""

Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=200)]


def _version_text(value: Any) -> Any:
    """YAML reads ``2024-06-01`` as a date and ``3`` as an integer; keep them as text."""
    if isinstance(value, date | int) and not isinstance(value, bool):
        return value.isoformat() if isinstance(value, date) else str(value)
    if isinstance(value, float):
        raise ValueError(f'write the version as a quoted string (e.g. "{value}"), not a number')
    return value


Version = Annotated[
    str, BeforeValidator(_version_text), Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z.+_-]*$")
]


Problem = tuple[tuple[str | int, ...], str]
"""A problem found across a document: where (a pydantic-style location) and what."""


class CrossReferenceError(ValueError):
    """Problems only the whole document reveals (duplicate ids, undefined groups), each
    with its own location; :mod:`myloware.policy._errors` reports them one by one."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, loc))}: {msg}" for loc, msg in problems))
        self.problems = problems


def _at_least_one_tier(tiers: tuple[Tier, ...]) -> tuple[Tier, ...]:
    if not tiers:
        raise ValueError("an approver group needs at least one tier")
    return tiers


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tier(_Strict):
    """One step of an escalation ladder: who is asked, and for how long."""

    group: Name
    sla: Seconds


class Then(_Strict):
    """What a rule does when its condition holds."""

    action: Action
    approver_group: Name | None = Field(
        default=None, description="the approver_groups ladder to ask (REQUIRE_APPROVAL only)"
    )
    sla: Seconds | None = Field(default=None, description="overrides the first tier's SLA")
    on_sla_exhausted: FinalAction | None = Field(
        default=None, description="overrides the policy's on_sla_exhausted for this rule"
    )
    reason: str | None = Field(default=None, description="shown to people; default: description")

    @model_validator(mode="after")
    def _approval_fields(self) -> Then:
        needs_approval = self.action is Action.REQUIRE_APPROVAL
        if needs_approval and self.approver_group is None:
            raise ValueError("REQUIRE_APPROVAL needs an approver_group")
        if not needs_approval:
            extras = [
                name
                for name in ("approver_group", "sla", "on_sla_exhausted")
                if getattr(self, name) is not None
            ]
            if extras:
                raise ValueError(f"{', '.join(extras)}: only allowed with REQUIRE_APPROVAL")
        return self


class Rule(_Strict):
    """``when`` this condition holds, ``then`` take this action."""

    id: Name
    description: str = ""
    when: Condition
    then: Then

    @property
    def reason(self) -> str:
        """The text shown to people when the rule fires."""
        return self.then.reason or self.description or f"rule {self.id}"


class Policy(_Strict):
    """A versioned governance policy: ordered rules and the approver ladders they use."""

    name: Name
    version: Version
    description: str = ""
    default_action: Action = Action.AUTO_APPROVE
    default_approver_group: Name | None = Field(
        default=None, description="the ladder asked when default_action is REQUIRE_APPROVAL"
    )
    approver_groups: dict[Name, Annotated[tuple[Tier, ...], AfterValidator(_at_least_one_tier)]] = (
        Field(default_factory=dict)
    )
    on_sla_exhausted: FinalAction = Action.REJECT
    rules: tuple[Rule, ...] = ()

    @model_validator(mode="after")
    def _cross_references(self) -> Policy:
        problems = [*self._duplicate_ids(), *self._undefined_groups(), *self._default_problems()]
        if problems:
            raise CrossReferenceError(problems)
        return self

    def _duplicate_ids(self) -> list[Problem]:
        first: dict[str, int] = {}
        problems: list[Problem] = []
        for index, rule in enumerate(self.rules):
            if rule.id in first:
                message = f"duplicate rule id; rules[{first[rule.id]}] already uses it"
                problems.append((("rules", index, "id"), message))
            first.setdefault(rule.id, index)
        return problems

    def _undefined_groups(self) -> list[Problem]:
        return [
            (
                ("rules", index, "then", "approver_group"),
                f"approver group '{rule.then.approver_group}' is not defined in "
                f"approver_groups ({self._defined()})",
            )
            for index, rule in enumerate(self.rules)
            if rule.then.approver_group is not None
            and rule.then.approver_group not in self.approver_groups
        ]

    def _default_problems(self) -> list[Problem]:
        group = self.default_approver_group
        if self.default_action is Action.REQUIRE_APPROVAL and group is None:
            return [
                (("default_approver_group",), "required when default_action is REQUIRE_APPROVAL")
            ]
        if group is not None and group not in self.approver_groups:
            message = f"'{group}' is not defined in approver_groups ({self._defined()})"
            return [(("default_approver_group",), message)]
        return []

    def _defined(self) -> str:
        names = ", ".join(sorted(self.approver_groups))
        return f"defined: {names}" if names else "none is defined"
