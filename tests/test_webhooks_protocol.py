"""The webhook protocol as pure functions: body, signature, subscriptions, target URLs, masking."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime

import pytest

from myloware.errors import ValidationFailed
from myloware.events import Event
from myloware.events.webhooks import (
    EVENT_TYPES,
    check_event_patterns,
    check_target_url,
    is_public_address,
    sign,
    subscribed,
    verify_signature,
    webhook_body,
)
from myloware.services.connectors import generate_secret, mask_secret, public_config


def an_event(**changes: object) -> Event:
    fields: dict[str, object] = {
        "event_id": uuid.uuid4(),
        "event_type": "work_order.created",
        "tenant_id": uuid.uuid4(),
        "aggregate_type": "work_order",
        "aggregate_id": uuid.uuid4(),
        "payload": {"work_order_id": "x", "items": 2, "note": "café"},
        "created_at": datetime(2026, 11, 26, 9, 30, tzinfo=UTC),
    }
    return Event.model_validate(fields | changes)


def test_body_carries_the_event_envelope() -> None:
    """The body holds id, type, tenant, aggregate, payload and the creation time, as JSON."""
    event = an_event()
    document = json.loads(webhook_body(event))
    assert document == {
        "event_id": str(event.event_id),
        "event_type": "work_order.created",
        "tenant_id": str(event.tenant_id),
        "aggregate": {"type": "work_order", "id": str(event.aggregate_id)},
        "payload": {"work_order_id": "x", "items": 2, "note": "café"},
        "created_at": "2026-11-26T09:30:00+00:00",
    }
    assert webhook_body(event) == webhook_body(event)  # retries sign the very same bytes


def test_signature_is_github_style_hmac_sha256() -> None:
    """The signature is sha256=<hex HMAC-SHA256(secret, raw body)>, as a receiver recomputes."""
    body = webhook_body(an_event())
    expected = hmac.new(b"s3cret-s3cret-s3cret", body, hashlib.sha256).hexdigest()
    assert sign("s3cret-s3cret-s3cret", body) == f"sha256={expected}"


def test_verification_refuses_tampering_wrong_secret_and_absence() -> None:
    """A receiver accepts the genuine header only: not another body, secret, or none."""
    body = webhook_body(an_event())
    header = sign("right-secret-0123", body)
    assert verify_signature("right-secret-0123", body, header)
    assert not verify_signature("right-secret-0123", body + b" ", header)
    assert not verify_signature("wrong-secret-0123", body, header)
    assert not verify_signature("right-secret-0123", body, None)
    assert not verify_signature("right-secret-0123", body, header.replace("sha256=", "sha1="))


@pytest.mark.parametrize(
    ("patterns", "event_type", "expected"),
    [
        (["*"], "approval.expired", True),
        (["work_order.created"], "work_order.created", True),
        (["work_order.created"], "work_order.completed", False),
        (["approval.*"], "approval.requested", True),
        (["approval.*"], "work_item.failed", False),
        (["record.persisted", "work_item.*"], "work_item.stage_failed", True),
        ([], "work_order.created", False),
    ],
)
def test_subscription_patterns(patterns: list[str], event_type: str, expected: bool) -> None:
    """'*' matches all, '<prefix>.*' its family, a type itself; nothing else matches."""
    assert subscribed(patterns, event_type) is expected


def test_patterns_are_checked_against_the_catalogue() -> None:
    """Known types, known prefixes and '*' pass (deduplicated); typos are refused by name."""
    assert check_event_patterns(["approval.*", "*", "approval.*"]) == ["approval.*", "*"]
    assert check_event_patterns(list(EVENT_TYPES)) == list(EVENT_TYPES)
    with pytest.raises(ValueError, match=r"work_order\.create'"):
        check_event_patterns(["work_order.create"])
    with pytest.raises(ValueError, match="invoice"):
        check_event_patterns(["invoice.*"])


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "https:///nohost",
        "https://user:pw@example.com/hook",
        f"https://{'a' * 64}.example.com/hook",  # a DNS label of more than 63 characters
        "https://example.com:99999/hook",
    ],
)
def test_urls_that_are_never_acceptable(url: str) -> None:
    """Non-http(s) schemes, missing hosts, embedded credentials and hosts or ports delivery
    could never use are refused everywhere."""
    with pytest.raises(ValidationFailed):
        check_target_url(url, allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8080/hook",
        "http://api.localhost/hook",
        "http://127.0.0.1/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_targets_refused_only_when_private_is_disallowed(url: str) -> None:
    """Local and private addresses are refused in production but allowed in development."""
    check_target_url(url, allow_private=True)
    with pytest.raises(ValidationFailed):
        check_target_url(url, allow_private=False)


def test_public_targets_are_accepted_in_production() -> None:
    """Public literals and host names (resolved at delivery) pass the save-time check."""
    for url in ("https://hooks.example.com/x", "http://8.8.8.8:8080/x", "https://[2606:4700::1]/"):
        check_target_url(url, allow_private=False)
    assert is_public_address("8.8.8.8")
    assert not is_public_address("224.0.0.1")  # multicast
    assert not is_public_address("fe80::1%eth0")


def test_secrets_are_random_and_masked_in_configs() -> None:
    """Generated secrets differ; a public config shows only the last four characters."""
    first, second = generate_secret(), generate_secret()
    assert first != second and first.startswith("whsec_") and len(first) > 40
    shown = public_config({"url": "https://x.example", "secret": first, "nested": {"token": "t"}})
    assert shown == {
        "url": "https://x.example",
        "secret": "****" + first[-4:],
        "nested": {"token": "****"},
    }
    assert mask_secret("short") == "****"
