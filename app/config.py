"""One Settings object, read from the environment and `.env`; every knob typed and described."""

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ROOT_DIR = Path(__file__).resolve().parent.parent
# The file settings are read from besides the environment; CCAGENT_DOTENV="" reads none (the
# tests: a developer's .env must never reach them).
DOTENV = os.environ.get("CCAGENT_DOTENV", ".env") or None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=DOTENV, env_file_encoding="utf-8", extra="ignore")

    MACHINE_ID: str = Field("local", description="Name of this deployment, shown in /api/status.")
    MAX_CONCURRENT_TASKS: int = Field(5, ge=1, le=256, description="CLI runs per worker at once.")
    TASK_TIMEOUT_SECONDS: float = Field(
        3600, gt=0, description="A run longer than this is stopped."
    )
    STOP_GRACE_SECONDS: float = Field(
        1.0, ge=0, le=60, description="Time between SIGTERM and SIGKILL when a run is stopped."
    )
    HEARTBEAT_SECONDS: float = Field(5, gt=0, description="How often a running task beats.")
    HEARTBEAT_TIMEOUT_SECONDS: float = Field(
        60, gt=0, description="A RUNNING task silent this long is failed by the sweeper."
    )
    SWEEP_INTERVAL_SECONDS: float = Field(10, gt=0, description="How often the sweeper runs.")
    REQUEUE_AFTER_SECONDS: float = Field(
        30, gt=0, description="A QUEUED task whose message is gone this long is sent again."
    )
    REDIS_URL: str = Field("redis://127.0.0.1:6379/0", description="Celery broker and stream bus.")
    DATA_DIR: str = Field(
        str(ROOT_DIR / "data"),
        description="Where everything the running system writes lives (never the source tree).",
    )
    DATABASE_URL: str = Field(
        "", description="SQLAlchemy URL ('' = SQLite at DATA_DIR/db/agent.db)."
    )
    SQLITE_BUSY_TIMEOUT_SECONDS: float = Field(
        30, gt=0, le=600, description="How long SQLite waits for another writer's lock."
    )
    LOG_LEVEL: Literal["TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    LOG_JSON: bool = Field(False, description="One JSON object per log line.")
    CORS_ORIGINS: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated origins allowed to call the API."
    )
    API_HOST: str = "127.0.0.1"
    API_PORT: int = Field(8000, ge=1, le=65535)
    API_TOKEN: SecretStr | None = Field(None, description="Bearer token for /api and /ws.")
    TASK_TOKEN_SECRET: SecretStr | None = Field(
        None, description="Key that signs task tokens and stream tickets (unset: from API_TOKEN)."
    )
    AUTH_DISABLED: bool = Field(False, description="Turn authentication off (local use only).")
    MAX_BODY_BYTES: int = Field(1_000_000, gt=0, description="Largest request body accepted.")
    CLAUDE_CLI_PATH: str = Field(
        str(ROOT_DIR / "node_modules" / ".bin" / "claude"), description="The claude executable."
    )
    CLI_PERMISSION_MODE: str = Field(
        "acceptEdits",
        description="--permission-mode for every run (bypassPermissions needs non-root).",
    )
    CLI_ALLOWED_TOOLS: str = Field(
        "Bash,Read,Write,Edit,Glob,Grep,Task,TodoWrite",
        description="--allowedTools for every run: tools that run without asking.",
    )
    CLI_TOOL_SANDBOX: bool = Field(
        True,
        description="Run the CLI's tools under bubblewrap without secret-looking variables"
        " (CLAUDE_CODE_SUBPROCESS_ENV_SCRUB); off only where tools need no isolation.",
    )
    CLI_ENV_PASSTHROUGH: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated names of further worker variables the CLI may see.",
    )
    AGENT_API_URL: str | None = Field(
        None, description="How a run reaches this API (unset: http://API_HOST:API_PORT)."
    )
    CLI_MAX_RETRIES: int | None = Field(
        None, ge=0, le=50, description="CLAUDE_CODE_MAX_RETRIES for the CLI (unset: its default)."
    )
    CLI_HOME: str = Field(
        "", description="Private HOMEs of the CLI, one per worker slot ('' = DATA_DIR/home)."
    )
    BRAIN_DIR: str = Field(
        str(ROOT_DIR / "agents_brain"),
        description="The brain: CLAUDE.md, built-in agents and skills (read-only to the system).",
    )
    AGENTS_DIR: str = Field(
        "", description="Custom agents and skills made through the API ('' = DATA_DIR/brain)."
    )
    DEFAULT_AGENT: str = Field(
        "", description="Agent used when a task names none ('' = the CLI's own)."
    )
    ANTHROPIC_BASE_URL: str | None = Field(None, description="Model endpoint passed to the CLI.")
    ANTHROPIC_API_KEY: SecretStr | None = Field(
        None, description="Model API key passed to the CLI."
    )
    CLAUDE_CODE_OAUTH_TOKEN: SecretStr | None = Field(
        None, description="Subscription token for the CLI."
    )
    DAILY_BUDGET_USD: float | None = Field(
        None, gt=0, description="Spend per UTC day after which new tasks are refused (unset: off)."
    )
    MAX_TURNS: int | None = Field(
        None, ge=1, le=1000, description="Default --max-turns of a task (unset: the CLI's own)."
    )
    TASK_MAX_BUDGET_USD: float | None = Field(
        None, gt=0, allow_inf_nan=False, description="Default spend cap of one run (unset: none)."
    )
    STREAM_BUFFER_MAX_EVENTS: int = Field(
        10_000, ge=100, description="Events of a task kept in Redis for late joiners (then: DB)."
    )
    WS_MAX_PENDING_EVENTS: int = Field(
        5_000, ge=10, description="Events a WebSocket client may fall behind before it is dropped."
    )
    CELERY_QUEUE: str = Field("ccagent", description="Celery queue the tasks travel on.")
    FLOWER_PORT: int = Field(5555, ge=1, le=65535, description="Port of Flower, Celery's monitor.")
    # Flower reads only the FLOWER_* names of its own options; it has none called `url`.
    FLOWER_URL: str = Field(
        "",
        pattern=r"^(https?://[^\s]+)?$",
        description="Flower's address for the dashboard's link ('' = http://<host>:FLOWER_PORT/).",
    )
    FLOWER_BASIC_AUTH: SecretStr | None = Field(
        None, description="user:password that Flower's pages ask for (unset: made by `just up`)."
    )
    # Webhooks (app/webhooks): provider API base URLs, inbound secrets of the default endpoints,
    # outbound credentials (never handed to a run), the mention text and the bot's own identities.
    GITHUB_API_URL: str = Field("https://api.github.com", description="GitHub REST API base.")
    SLACK_API_URL: str = Field("https://slack.com/api", description="Slack Web API base.")
    JIRA_BASE_URL: str = Field("", description="Jira site, e.g. https://team.atlassian.net.")
    SENTRY_API_URL: str = Field("https://sentry.io/api/0", description="Sentry API base.")
    GITHUB_WEBHOOK_SECRET: SecretStr | None = Field(None, description="Secret of /webhooks/github.")
    SLACK_SIGNING_SECRET: SecretStr | None = Field(None, description="Secret of /webhooks/slack.")
    JIRA_WEBHOOK_SECRET: SecretStr | None = Field(None, description="Secret of /webhooks/jira.")
    SENTRY_CLIENT_SECRET: SecretStr | None = Field(None, description="Secret of /webhooks/sentry.")
    GENERIC_WEBHOOK_SECRET: SecretStr | None = Field(
        None, description="Secret of /webhooks/generic, and the key `forward` signs with."
    )
    GITHUB_TOKEN: SecretStr | None = Field(None, description="GitHub token for replies.")
    SLACK_BOT_TOKEN: SecretStr | None = Field(None, description="Slack bot token (xoxb-…).")
    JIRA_EMAIL: str | None = Field(None, description="Jira account email (with JIRA_API_TOKEN).")
    JIRA_API_TOKEN: SecretStr | None = Field(None, description="Jira API token.")
    SENTRY_TOKEN: SecretStr | None = Field(None, description="Sentry token for issue notes.")
    BOT_MENTION: str = Field("@agent", min_length=2, description="Mention that calls the bot.")
    BOT_MENTION_ALIASES: str = Field(
        "@claude,@bot", description="Comma-separated mentions that call the bot too."
    )
    GITHUB_BOT_LOGIN: str = Field("", description="The bot's GitHub login (never triggers).")
    SLACK_BOT_USER_ID: str = Field("", description="The bot's Slack user id (never triggers).")
    JIRA_BOT_ACCOUNT_ID: str = Field("", description="The bot's Jira account (never triggers).")
    WEBHOOK_HTTP_TIMEOUT_SECONDS: float = Field(10, gt=0, description="Outbound call timeout.")
    WEBHOOK_RETRY_ATTEMPTS: int = Field(4, ge=1, le=20, description="Tries per outbound call.")
    WEBHOOK_RETRY_MAX_WAIT_SECONDS: float = Field(
        30, ge=0, description="Longest wait between two tries (caps Retry-After)."
    )
    WEBHOOK_SWEEP_AFTER_SECONDS: float = Field(
        10, gt=0, description="A delivery recorded but unprocessed this long is processed again."
    )
    # Workspaces (app/workspaces): repository caches and task worktrees under DATA_DIR, the git
    # server repositories are cloned from (credentials: GITHUB_TOKEN, by a credential helper).
    GITHUB_GIT_URL: str = Field(
        "https://github.com", description="Base of clone URLs: <base>/<owner>/<name>.git."
    )
    WORKSPACE_MAX_GB: float = Field(
        20, gt=0, description="Disk for task workspaces and repository caches together."
    )
    GIT_AUTHOR_NAME: str = Field("Claude Code Agent", description="Author of the agent's commits.")
    GIT_AUTHOR_EMAIL: str = Field(
        "agent@localhost", description="Email of the agent's commits' author."
    )
    FAILED_WORKSPACE_KEEP_SECONDS: float = Field(
        3600, ge=0, description="A failed task's workspace is kept this long for inspection."
    )

    @field_validator("CORS_ORIGINS", "CLI_ENV_PASSTHROUGH", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("REDIS_URL")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @model_validator(mode="after")
    def _paths_under_data_dir(self) -> "Settings":
        data = Path(self.DATA_DIR)
        self.DATABASE_URL = self.DATABASE_URL or f"sqlite:///{data / 'db' / 'agent.db'}"
        self.CLI_HOME = self.CLI_HOME or str(data / "home")
        self.AGENTS_DIR = self.AGENTS_DIR or str(data / "brain")
        return self

    @model_validator(mode="after")
    def _token_required(self) -> "Settings":
        if not self.AUTH_DISABLED and not (self.API_TOKEN and self.API_TOKEN.get_secret_value()):
            raise ValueError("API_TOKEN must be set (or AUTH_DISABLED=true for local use only)")
        return self

    @property
    def data_dir(self) -> Path:
        return Path(self.DATA_DIR)

    @property
    def is_sqlite(self) -> bool:
        return self.DATABASE_URL.startswith("sqlite")


def load_settings() -> Settings:
    """Build Settings, turning a validation error into one readable line per bad setting."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}"
            for e in error.errors()
        )
        raise SystemExit(f"Invalid configuration: {problems}") from None


settings = load_settings()
