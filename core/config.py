"""Settings read from environment variables, with safe defaults.

Every knob has a default that works on a developer's machine. Secrets that are
not given are generated once and kept in the data directory, and the server
warns at start-up that it is running with generated secrets.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

from core.llm_prices import DEFAULT_PRICES, PriceTable, load_prices

log = logging.getLogger(__name__)

LLM_PROVIDERS = ("anthropic", "bedrock")
LOG_FORMATS = ("json", "text")
SMTP_SECURITY = ("starttls", "ssl", "none")


class ConfigError(ValueError):
    """A setting has a value the server cannot run with."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value is not None else default


def _list(name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in (_env(name) or "").split(",") if item.strip())


def _choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = (_env(name) or default).strip().lower()
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def _float(name: str, default: float) -> float:
    value = _env(name)
    return float(value) if value is not None else default


def _prices() -> PriceTable:
    try:
        return load_prices(file=_env("LEARNGRAPH_LLM_PRICES_FILE"),
                           value=_env("LEARNGRAPH_LLM_PRICES"))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _networks(name: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """Comma-separated addresses or CIDR blocks (``10.0.0.0/8, 127.0.0.1``)."""
    networks = []
    for item in _list(name):
        try:
            networks.append(ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(f"{name}: {item[:50]!r} is not an IP address or CIDR block") from None
    return tuple(networks)


def _pairs(name: str) -> dict[str, str]:
    """``name=value,name=value`` (``LEARNGRAPH_STRIPE_PRICES``)."""
    result: dict[str, str] = {}
    for item in _list(name):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ConfigError(f"{name} must be name=value pairs separated by commas; "
                              f"got {item[:40]!r}")
        result[key.strip()] = value.strip()
    return result


def _ports(value: str | None) -> dict[str, int]:
    """Parse ``face=port,face=port`` into a mapping (which faces exist is checked where
    the faces are known, in ``core.app``)."""
    result: dict[str, int] = {}
    for part in (value or "").split(","):
        if not part.strip():
            continue
        face, _, port = part.partition("=")
        if not face.strip() or not port.strip().isdigit() or not 0 < int(port) < 65536:
            raise ConfigError("LEARNGRAPH_FACE_PORTS must be face=port pairs separated by "
                              f"commas, e.g. openlearning=8001; got {part.strip()[:40]!r}")
        result[face.strip()] = int(port)
    return result


@dataclass(frozen=True)
class Settings:
    """Everything configurable about one learngraph process."""

    environment: str = "development"
    data_dir: Path = Path(".data")
    database_url: str | None = None
    secret_key: str = ""
    secrets_generated: bool = False
    public_url: str = "http://localhost:8000"
    # Log lines as JSON objects ("json") or plain text for people ("text").
    log_format: str = "json"

    # Tokens
    jwt_issuer: str = "learngraph"
    jwt_audience: str = "learngraph"
    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    session_cookie_ttl_seconds: int = 7 * 24 * 3600
    cookie_secure: bool | None = None  # None: Secure when the request came over https

    # Rate limits (requests in any sliding window, per client address)
    rate_limit_login: int = 10
    rate_limit_register: int = 5
    rate_limit_window_seconds: int = 60
    # Per-account lockout: this many failed sign-ins of one account (from any addresses)
    # inside the window lock its sign-in until the oldest of them leaves the window.
    login_lockout_failures: int = 10
    login_lockout_window_seconds: int = 900
    # The reading platform's per-user groups (its reference, §39.5): requests a minute
    # by one signed-in user on its API, and on its admin routes.
    reading_api_rate_limit: int = 300
    reading_admin_rate_limit: int = 60
    # The account center's groups: sign-in, registration and password reset requests per
    # address, and child logins per address, in a 15-minute window; failed sign-ins of
    # one account that lock it (423) for the window; verification mails an hour per email.
    reading_auth_rate_limit: int = 5
    reading_child_login_rate_limit: int = 10
    reading_auth_window_seconds: int = 900
    reading_login_lockout_failures: int = 5
    reading_resend_verification_per_hour: int = 3
    # Peers whose X-Forwarded-For / X-Forwarded-Proto are believed (reverse proxies).
    trusted_proxies: tuple[IPv4Network | IPv6Network, ...] = ()
    # argon2id cost of new password hashes (time, memory KiB, parallelism): argon2-cffi's
    # defaults, above OWASP's minimum. Deliberately not read from the environment.
    password_hash_cost: tuple[int, int, int] = (3, 64 * 1024, 4)

    # GraphQL abuse limits
    graphql_max_depth: int = 15
    graphql_max_aliases: int = 15
    graphql_max_tokens: int = 2000
    graphql_max_cost: int = 5000
    # Points each viewer (or anonymous address) may spend an hour (core/budget.py); 0: off.
    graphql_budget: int = 5000
    graphql_planned_reads: bool = True
    graphql_max_page_size: int = 100
    graphql_max_document_length: int = 128 * 1024
    # Longest string accepted in any input (fields that document more allow 1 MiB).
    max_string_length: int = 64 * 1024
    graphql_introspection: bool = True
    graphql_max_subscriptions_per_connection: int = 20
    graphql_connection_init_timeout_seconds: float = 10.0
    # Browser origins besides our own whose pages may open GraphQL WebSockets.
    allowed_origins: tuple[str, ...] = ()
    # When set, GET /metrics asks for it as a bearer token.
    metrics_token: str | None = None
    # Run only documents registered with ``learngraph documents add`` (production).
    trusted_documents_only: bool = False
    # OpenTelemetry traces go over OTLP/HTTP to this base URL; unset, none are recorded.
    otel_endpoint: str | None = None
    otel_service_name: str = "learngraph"

    # LLM
    anthropic_api_key: str | None = None
    anthropic_base_url: str | None = None
    anthropic_model: str = "claude-sonnet-4-6"
    llm_timeout_seconds: float = 60.0
    llm_max_retries: int = 2
    # "anthropic" (direct, with a key) or "bedrock" (AWS credentials set by an admin).
    llm_provider: str = "anthropic"
    bedrock_region: str = "us-east-1"
    bedrock_model: str = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    bedrock_base_url: str | None = None
    # USD per million tokens per model (core/llm_prices.py), for usage accounting.
    llm_prices: PriceTable = field(default_factory=lambda: PriceTable(DEFAULT_PRICES))
    # Tutor response cache nodes neither created nor hit for this long are removed.
    chat_cache_stale_days: int = 30

    # Background jobs (every instance works the shared queue)
    jobs_enabled: bool = True
    jobs_concurrency: int = 2
    jobs_poll_seconds: float = 1.0
    jobs_lease_seconds: float = 60.0

    # GitHub OAuth
    github_client_id: str | None = None
    github_client_secret: str | None = None
    github_authorize_url: str = "https://github.com/login/oauth/authorize"
    github_token_url: str = "https://github.com/login/oauth/access_token"
    github_api_url: str = "https://api.github.com"
    oauth_state_ttl_seconds: int = 600

    # Faces whose documented paths collide are also served on their own ports.
    face_ports: dict[str, int] = field(default_factory=dict)

    # The shared secret services send as ``X-Internal-Key`` (the reading platform's
    # service-to-service endpoints); unset, no request passes as a service.
    internal_key: str | None = None
    # The Codelabs face's facilitator account (no password: facilitator login is off).
    codelabs_admin_id: str = "admin"
    codelabs_admin_password: str | None = None
    codelabs_attendee_session_ttl_seconds: int = 12 * 3600
    # The Codelabs face's Gemini proxy: any Gemini-compatible endpoint (Google's when
    # unset), the model asked when a request names none, and a deployment key used when
    # the codelab's facilitator stored none.
    gemini_base_url: str | None = None
    gemini_model: str = "gemini-3-flash-preview"
    gemini_api_key: str | None = None

    # Stripe (the reading platform's billing); without a secret key checkout answers 503.
    stripe_secret_key: str | None = None
    stripe_api_base: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_max_retries: int = 1
    # The Stripe price of each plan (parent_monthly, parent_annual, school_annual).
    stripe_prices: dict[str, str] = field(default_factory=dict)
    # Days of the trial a new teacher, parent or school admin account starts with.
    billing_trial_days: int = 14

    # Outgoing mail (the account center's verification and password-reset mails, the
    # teacher portal's notices); without a host no mail can be sent.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    # "starttls" (upgrade a plain connection), "ssl" (TLS from the start), or "none".
    smtp_security: str = "starttls"
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "Pickatale <no-reply@localhost>"
    # Where the links in mails lead: the account center's pages (verify, reset).
    account_center_url: str = "http://localhost:8000"
    # How long a mailed token stays good.
    verify_email_ttl_seconds: int = 48 * 3600
    reset_password_ttl_seconds: int = 3600

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def github_configured(self) -> bool:
        return bool(self.github_client_id and self.github_client_secret)

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with some fields changed (tests and the CLI use this)."""
        return replace(self, **changes)


def log_format() -> str:
    """``LEARNGRAPH_LOG_FORMAT``: ``json`` (the default) or ``text``."""
    return _choice("LEARNGRAPH_LOG_FORMAT", LOG_FORMATS, "json")


def _secret_key(data_dir: Path) -> tuple[str, bool]:
    given = _env("LEARNGRAPH_SECRET_KEY")
    if given:
        return given, False
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip(), True
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key, True


def load_settings() -> Settings:
    """Build Settings from the environment."""
    data_dir = Path(_env("LEARNGRAPH_DATA_DIR", ".data")).resolve()
    secret_key, generated = _secret_key(data_dir)
    environment = _env("LEARNGRAPH_ENV", "development")
    return Settings(
        environment=environment,
        data_dir=data_dir,
        database_url=_env("DATABASE_URL"),
        secret_key=secret_key,
        secrets_generated=generated,
        public_url=_env("LEARNGRAPH_PUBLIC_URL", "http://localhost:8000"),
        log_format=log_format(),
        jwt_issuer=_env("LEARNGRAPH_JWT_ISSUER", "learngraph"),
        jwt_audience=_env("LEARNGRAPH_JWT_AUDIENCE", "learngraph"),
        access_token_ttl_seconds=_int("LEARNGRAPH_ACCESS_TOKEN_TTL", 15 * 60),
        refresh_token_ttl_seconds=_int("LEARNGRAPH_REFRESH_TOKEN_TTL", 30 * 24 * 3600),
        session_cookie_ttl_seconds=_int("LEARNGRAPH_SESSION_COOKIE_TTL", 7 * 24 * 3600),
        cookie_secure=(_bool("LEARNGRAPH_COOKIE_SECURE", False)
                       if _env("LEARNGRAPH_COOKIE_SECURE") else None),
        rate_limit_login=_int("LEARNGRAPH_RATE_LIMIT_LOGIN", 10),
        rate_limit_register=_int("LEARNGRAPH_RATE_LIMIT_REGISTER", 5),
        rate_limit_window_seconds=_int("LEARNGRAPH_RATE_LIMIT_WINDOW", 60),
        login_lockout_failures=_int("LEARNGRAPH_LOGIN_LOCKOUT_FAILURES", 10),
        login_lockout_window_seconds=_int("LEARNGRAPH_LOGIN_LOCKOUT_WINDOW", 900),
        reading_api_rate_limit=_int("LEARNGRAPH_READING_API_RATE_LIMIT", 300),
        reading_admin_rate_limit=_int("LEARNGRAPH_READING_ADMIN_RATE_LIMIT", 60),
        reading_auth_rate_limit=_int("LEARNGRAPH_READING_AUTH_RATE_LIMIT", 5),
        reading_child_login_rate_limit=_int("LEARNGRAPH_READING_CHILD_LOGIN_RATE_LIMIT", 10),
        reading_auth_window_seconds=_int("LEARNGRAPH_READING_AUTH_WINDOW", 900),
        reading_login_lockout_failures=_int("LEARNGRAPH_READING_LOGIN_LOCKOUT_FAILURES", 5),
        reading_resend_verification_per_hour=_int("LEARNGRAPH_READING_RESEND_PER_HOUR", 3),
        trusted_proxies=_networks("LEARNGRAPH_TRUSTED_PROXIES"),
        graphql_max_depth=_int("LEARNGRAPH_GRAPHQL_MAX_DEPTH", 15),
        graphql_max_aliases=_int("LEARNGRAPH_GRAPHQL_MAX_ALIASES", 15),
        graphql_max_tokens=_int("LEARNGRAPH_GRAPHQL_MAX_TOKENS", 2000),
        graphql_max_cost=_int("LEARNGRAPH_GRAPHQL_MAX_COST", 5000),
        graphql_budget=_int("LEARNGRAPH_GRAPHQL_BUDGET", 5000),
        graphql_planned_reads=_bool("LEARNGRAPH_GRAPHQL_PLANNED_READS", True),
        graphql_max_document_length=_int("LEARNGRAPH_GRAPHQL_MAX_DOCUMENT", 128 * 1024),
        max_string_length=_int("LEARNGRAPH_MAX_STRING_LENGTH", 64 * 1024),
        graphql_introspection=_bool("LEARNGRAPH_GRAPHQL_INTROSPECTION",
                                    environment != "production"),
        graphql_max_subscriptions_per_connection=_int("LEARNGRAPH_GRAPHQL_MAX_SUBSCRIPTIONS", 20),
        graphql_connection_init_timeout_seconds=_float("LEARNGRAPH_GRAPHQL_INIT_TIMEOUT", 10.0),
        allowed_origins=_list("LEARNGRAPH_ALLOWED_ORIGINS"),
        metrics_token=_env("LEARNGRAPH_METRICS_TOKEN"),
        trusted_documents_only=_bool("LEARNGRAPH_TRUSTED_DOCUMENTS_ONLY", False),
        otel_endpoint=_env("OTEL_EXPORTER_OTLP_ENDPOINT"),
        otel_service_name=_env("OTEL_SERVICE_NAME", "learngraph"),
        anthropic_api_key=_env("ANTHROPIC_API_KEY"),
        anthropic_base_url=_env("ANTHROPIC_BASE_URL"),
        anthropic_model=_env("LEARNGRAPH_ANTHROPIC_MODEL", "claude-sonnet-4-6"),
        llm_timeout_seconds=_float("LEARNGRAPH_LLM_TIMEOUT", 60.0),
        llm_max_retries=_int("LEARNGRAPH_LLM_MAX_RETRIES", 2),
        llm_provider=_choice("LEARNGRAPH_LLM_PROVIDER", LLM_PROVIDERS, "anthropic"),
        bedrock_region=_env("LEARNGRAPH_BEDROCK_REGION", "us-east-1"),
        bedrock_model=_env("LEARNGRAPH_BEDROCK_MODEL",
                           "us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
        bedrock_base_url=_env("LEARNGRAPH_BEDROCK_BASE_URL"),
        llm_prices=_prices(),
        chat_cache_stale_days=_int("LEARNGRAPH_CHAT_CACHE_STALE_DAYS", 30),
        jobs_enabled=_bool("LEARNGRAPH_JOBS", True),
        jobs_concurrency=_int("LEARNGRAPH_JOBS_CONCURRENCY", 2),
        jobs_poll_seconds=_float("LEARNGRAPH_JOBS_POLL_SECONDS", 1.0),
        jobs_lease_seconds=_float("LEARNGRAPH_JOBS_LEASE_SECONDS", 60.0),
        github_client_id=_env("GITHUB_CLIENT_ID"),
        github_client_secret=_env("GITHUB_CLIENT_SECRET"),
        github_authorize_url=_env("GITHUB_AUTHORIZE_URL",
                                  "https://github.com/login/oauth/authorize"),
        github_token_url=_env("GITHUB_TOKEN_URL", "https://github.com/login/oauth/access_token"),
        github_api_url=_env("GITHUB_API_URL", "https://api.github.com"),
        face_ports=_ports(_env("LEARNGRAPH_FACE_PORTS")),
        internal_key=_env("LEARNGRAPH_INTERNAL_KEY"),
        codelabs_admin_id=_env("LEARNGRAPH_CODELABS_ADMIN_ID", "admin"),
        codelabs_admin_password=_env("LEARNGRAPH_CODELABS_ADMIN_PASSWORD"),
        gemini_base_url=_env("LEARNGRAPH_GEMINI_BASE_URL"),
        gemini_model=_env("LEARNGRAPH_GEMINI_MODEL", "gemini-3-flash-preview"),
        gemini_api_key=_env("GEMINI_API_KEY"),
        codelabs_attendee_session_ttl_seconds=_int("LEARNGRAPH_CODELABS_ATTENDEE_SESSION_TTL",
                                                   12 * 3600),
        stripe_secret_key=_env("STRIPE_SECRET_KEY"),
        stripe_api_base=_env("STRIPE_API_BASE"),
        stripe_webhook_secret=_env("STRIPE_WEBHOOK_SECRET"),
        stripe_prices=_pairs("LEARNGRAPH_STRIPE_PRICES"),
        billing_trial_days=_int("LEARNGRAPH_BILLING_TRIAL_DAYS", 14),
        smtp_host=_env("LEARNGRAPH_SMTP_HOST"),
        smtp_port=_int("LEARNGRAPH_SMTP_PORT", 587),
        smtp_username=_env("LEARNGRAPH_SMTP_USERNAME"),
        smtp_password=_env("LEARNGRAPH_SMTP_PASSWORD"),
        smtp_security=_choice("LEARNGRAPH_SMTP_SECURITY", SMTP_SECURITY, "starttls"),
        smtp_timeout_seconds=_float("LEARNGRAPH_SMTP_TIMEOUT", 10.0),
        mail_from=_env("LEARNGRAPH_MAIL_FROM", "Pickatale <no-reply@localhost>"),
        account_center_url=_env("LEARNGRAPH_ACCOUNT_CENTER_URL", "http://localhost:8000"),
        verify_email_ttl_seconds=_int("LEARNGRAPH_VERIFY_EMAIL_TTL", 48 * 3600),
        reset_password_ttl_seconds=_int("LEARNGRAPH_RESET_PASSWORD_TTL", 3600),
    )


def listening_at(settings: Settings, *, host: str, port: int) -> Settings:
    """``settings`` for a server listening on ``host``:``port``: unless
    ``LEARNGRAPH_PUBLIC_URL`` names it, the public URL (stored files' links, OAuth
    callbacks, the origin that may open subscriptions) is that address, not port 8000's
    whatever the port."""
    if _env("LEARNGRAPH_PUBLIC_URL") is not None:
        return settings
    shown = "localhost" if host in ("0.0.0.0", "127.0.0.1", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return replace(settings, public_url=f"http://{shown}:{port}")


def warn_if_generated(settings: Settings) -> None:
    """Log a warning when the secret key was generated rather than configured."""
    if settings.secrets_generated:
        log.warning(
            "Running with a generated secret key kept in %s; set LEARNGRAPH_SECRET_KEY "
            "for production.", settings.data_dir / "secret_key")
