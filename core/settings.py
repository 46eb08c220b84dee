"""Every setting of a deployment, named once: `Settings`, read from the environment by
`Settings.from_env` and nowhere else.

Each knob is one field with its `MINXIN_*` variable, its default and a line saying why it is
there. The parts below the web app never read the environment: the composition root
(`core.compose`) builds the settings once per process and hands them down, as the config
mapping `as_config()` gives (the keys the Flask app and the tests use, e.g. `QUEUE`,
`SPEECH_MODEL`) or as the options a recognizer takes (`recognize.options`).

`python -m core.settings` prints the table in docs/SETTINGS.md. This module imports nothing of
the project.
"""
from __future__ import annotations

import os
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

MiB = 1024 * 1024


# --- how a variable's text becomes a value (raw is the variable's text, never None) ----------


def _text(raw: str, default: Any) -> Any:
    return raw or default


def _optional_text(raw: str, default: Any) -> Optional[str]:
    return raw or None


def _int(raw: str, default: Any) -> Any:
    return int(raw) if raw else default


def _lenient_int(raw: str, default: Any) -> Any:
    try:
        return int(raw)
    except ValueError:  # the image limit has always fallen back to its default
        return default


def _float(raw: str, default: Any) -> Any:
    return float(raw) if raw else default


def _megabytes(raw: str, default: Any) -> Any:
    return int(raw) * MiB if raw else default


def _on_if_1(raw: str, default: Any) -> bool:
    return raw == "1"


def _off_if_0(raw: str, default: Any) -> bool:
    return raw != "0"


def _yes(raw: str, default: Any) -> bool:
    return raw in ("1", "true", "yes")


def _path(raw: str, default: Any) -> Any:
    return Path(raw) if raw else default


def _user_path(raw: str, default: Any) -> Any:
    return Path(raw).expanduser() if raw else default


def _instance(raw: str, default: Any) -> Path:
    return Path(raw).resolve() if raw else default


def knob(env: str, default: Any = None, why: str = "", *, key: Optional[str] = None,
         parse: Callable[[str, Any], Any] = _text, default_factory: Optional[Callable[[], Any]] = None,
         shown_default: Optional[str] = None):
    """A field of `Settings`: `env` is its variable, `key` its name in the config mapping
    (None: not in it), `parse(raw, default)` reads the variable's text."""
    metadata = {"env": env, "key": key, "why": why, "parse": parse, "shown_default": shown_default}
    if default_factory is not None:
        return field(default_factory=default_factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def _cwd_instance() -> Path:
    return (Path.cwd() / "instance").resolve()


def _home_models() -> Path:
    return Path.home() / ".cache" / "minxin" / "models"


@dataclass(frozen=True)
class Settings:
    # --- the instance --------------------------------------------------------------------------
    instance_path: Path = knob("MINXIN_INSTANCE_PATH", why="instance folder: database, keys, originals",
                               parse=_instance, default_factory=_cwd_instance, shown_default="./instance")
    database_url: Optional[str] = knob("MINXIN_DATABASE_URL", why="SQLAlchemy URL; or postgresql+psycopg://…",
                                       key="DATABASE_URL", shown_default="SQLite file in the instance folder")
    data_dir: Optional[Path] = knob("MINXIN_DATA_DIR", why="originals (content-addressed) and the S3 download cache",
                                    key="DATA_DIR", parse=_path, shown_default="instance/data")
    secret_key: Optional[str] = knob("MINXIN_SECRET_KEY", why="session signing; the same on every web machine",
                                     parse=_optional_text, shown_default="generated once into instance/secret_key")
    audit_key: Optional[str] = knob("MINXIN_AUDIT_KEY", why="the audit chain's HMAC key, kept apart from database backups",
                                    parse=_optional_text, shown_default="generated once into instance/audit_key")
    env: str = knob("MINXIN_ENV", "development", "production refuses to start without what a public site needs",
                    key="ENV")
    public_base_url: str = knob("MINXIN_PUBLIC_BASE_URL", "", "base of printed links and QR codes, never the Host header",
                                key="PUBLIC_BASE_URL", shown_default="http://127.0.0.1:5000 (required in production)")
    clock_file: Optional[str] = knob("MINXIN_CLOCK_FILE", None, "a file holding a date that stands in for today (drills, tests)",
                                     key="CLOCK_FILE", parse=_optional_text, shown_default="unset: the real clock")

    # --- jobs and queues -----------------------------------------------------------------------
    queue: str = knob("MINXIN_QUEUE", "embedded", "embedded: a worker thread in the web process; celery: workers elsewhere",
                      key="QUEUE")
    broker_url: str = knob("MINXIN_BROKER_URL", "redis://127.0.0.1:6379/0", "the Celery broker", key="BROKER_URL")
    celery_key_prefix: str = knob("MINXIN_CELERY_KEY_PREFIX", "", "keeps deployments sharing one Redis apart",
                                  key="CELERY_KEY_PREFIX")
    celery_visibility_timeout: int = knob("MINXIN_CELERY_VISIBILITY_TIMEOUT", 3600,
                                          "Redis gives an unacknowledged message to another worker after this long",
                                          key="CELERY_VISIBILITY_TIMEOUT", parse=_int)
    job_sweep_seconds: int = knob("MINXIN_JOB_SWEEP_SECONDS", 30, "how often workers look for jobs whose worker died",
                                  key="JOB_SWEEP_SECONDS", parse=_int)
    job_stale_queued_seconds: int = knob("MINXIN_JOB_STALE_QUEUED_SECONDS", 600,
                                         "a job queued this long has lost its message and is sent again",
                                         key="JOB_STALE_QUEUED_SECONDS", parse=_int)
    job_lease_seconds: float = knob("MINXIN_JOB_LEASE_SECONDS", 60.0,
                                    "a running job whose lease passed belongs to a dead worker and is taken again",
                                    key="JOB_LEASE_SECONDS", parse=_float)
    job_max_attempts: int = knob("MINXIN_JOB_MAX_ATTEMPTS", 3, "tries before a job fails", key="JOB_MAX_ATTEMPTS",
                                 parse=_int)
    worker_threads: int = knob("MINXIN_WORKER_THREADS", 1, "threads of the embedded worker", key="WORKER_THREADS",
                               parse=_int)
    worker_poll_seconds: float = knob("MINXIN_WORKER_POLL_SECONDS", 2.0, "how often the embedded worker looks at the table",
                                      key="WORKER_POLL_SECONDS", parse=_float)
    leftover_grace_seconds: int = knob("MINXIN_LEFTOVER_GRACE_SECONDS", 3600,
                                       "temp files and rowless originals older than this are removed",
                                       key="LEFTOVER_GRACE_SECONDS", parse=_int)
    housekeeping_seconds: int = knob("MINXIN_HOUSEKEEPING_SECONDS", 3600, "how often the embedded worker removes them",
                                     key="HOUSEKEEPING_SECONDS", parse=_int)

    # --- storage of originals ------------------------------------------------------------------
    storage: str = knob("MINXIN_STORAGE", "local", "local (a folder under the data dir) or s3", key="STORAGE")
    s3_endpoint_url: Optional[str] = knob("MINXIN_S3_ENDPOINT_URL", None, "any S3-compatible server (MinIO, Ceph, a cloud's)",
                                          key="S3_ENDPOINT_URL")
    s3_bucket: str = knob("MINXIN_S3_BUCKET", "minxin-originals", "the bucket of originals", key="S3_BUCKET")
    uploads_dir: Optional[Path] = knob("MINXIN_UPLOADS_DIR", why="unfinished chunked uploads when not on S3: a folder "
                                       "every app server mounts", key="UPLOADS_DIR", parse=_path,
                                       shown_default="instance/uploads")
    s3_region: str = knob("AWS_DEFAULT_REGION", "us-east-1", "the S3 client's region (boto3's own variable)",
                          key="S3_REGION")

    # --- recognition ---------------------------------------------------------------------------
    recognizer: str = knob("MINXIN_RECOGNIZER", "real", "real: Whisper and PaddleOCR; fake: a stand-in for fast tests only",
                           key="RECOGNIZER")
    fake_delay: float = knob("MINXIN_FAKE_DELAY", 0.0, "seconds the fake recognizer takes per job (tests that kill a worker)",
                             key="FAKE_RECOGNIZER_DELAY", parse=_float)
    model_cache: Path = knob("MINXIN_MODEL_CACHE", why="model folders built once from the wheels", key="MODEL_CACHE",
                             parse=_user_path, default_factory=_home_models, shown_default="~/.cache/minxin/models")
    handwriting_engine: str = knob("MINXIN_HANDWRITING_ENGINE", "", "ppocr-v6 (PP-OCRv6 small) or ppocr-v5 (PaddleOCR v5 mobile)",
                                   key="HANDWRITING_ENGINE", shown_default="measured default (ppocr-v6)")
    speech_engine: str = knob("MINXIN_SPEECH_ENGINE", "", "faster-whisper or openai-whisper", key="SPEECH_ENGINE",
                              shown_default="measured default (faster-whisper)")
    speech_model: str = knob("MINXIN_SPEECH_MODEL", "base", "Whisper size (or a CTranslate2 folder)", key="SPEECH_MODEL")
    speech_device: str = knob("MINXIN_SPEECH_DEVICE", "", "cuda on GPU speech workers", key="SPEECH_DEVICE",
                              shown_default="cuda when present, else cpu")
    speech_compute: str = knob("MINXIN_SPEECH_COMPUTE", "", "CTranslate2 compute type", key="SPEECH_COMPUTE",
                               shown_default="measured: int8 on CPU, float16 on CUDA")
    asr_threads: Optional[int] = knob("MINXIN_ASR_THREADS", None, "threads per speech process; processes × threads ≤ cores",
                                      key="ASR_THREADS", parse=_int, shown_default="the cores, at most 8")
    speech_flag_below: Optional[float] = knob(
        "MINXIN_SPEECH_FLAG_BELOW", None,
        "words whose calibrated score (the chance they are heard right) is lower are flagged for the reviewer",
        key="SPEECH_FLAG_BELOW", parse=_float,
        shown_default="the fitted threshold in recognize/data/speech_flags.json")
    speech_base_prompt: bool = knob("MINXIN_SPEECH_BASE_PROMPT", False, "1: the base prompt (measured not to help)",
                                    key="SPEECH_BASE_PROMPT", parse=_on_if_1)
    speech_vocab_prompt: bool = knob("MINXIN_SPEECH_VOCAB_PROMPT", False,
                                     "1: the county vocabulary as prompt context (measured to hurt)",
                                     key="SPEECH_VOCAB_PROMPT", parse=_on_if_1)
    speech_hotwords: bool = knob("MINXIN_SPEECH_HOTWORDS", False, "1: the county vocabulary as hotwords (measured to hurt)",
                                 key="SPEECH_HOTWORDS", parse=_on_if_1)
    speech_correct: bool = knob("MINXIN_SPEECH_CORRECT", True, "0: no county-vocabulary corrector on speech transcripts",
                                key="SPEECH_CORRECT", parse=_off_if_0)
    max_audio_seconds: int = knob("MINXIN_MAX_AUDIO_SECONDS", 30 * 60, "longest voice memo accepted",
                                  key="MAX_AUDIO_SECONDS", parse=_int)
    max_image_bytes: int = knob("MINXIN_MAX_IMAGE_BYTES", 30 * MiB, "largest page photo the recognizer decodes",
                                key="MAX_IMAGE_BYTES", parse=_lenient_int, shown_default="31457280 (30 MiB)")
    category_keywords: Optional[str] = knob("MINXIN_CATEGORY_KEYWORDS", None, "a county's JSON file of category keywords",
                                            key="CATEGORY_KEYWORDS", parse=_optional_text, shown_default="built-in table")
    extractor_dir: Optional[Path] = knob("MINXIN_EXTRACTOR_DIR", None, "where the county's trained extractor models live",
                                         key="EXTRACTOR_DIR", parse=_path, shown_default="instance/extractor")

    # --- the web app ---------------------------------------------------------------------------
    max_upload_bytes: int = knob("MINXIN_MAX_UPLOAD_MB", 100 * MiB, "upload size limit per file (variable in MB)",
                                 key="MAX_UPLOAD_BYTES", parse=_megabytes, shown_default="100 (MB)")
    visit_quota: int = knob("MINXIN_VISIT_QUOTA", 4, "visits per cadre per month", key="VISIT_QUOTA", parse=_int)
    insecure_cookies: Optional[bool] = knob("MINXIN_INSECURE_COOKIES", None,
                                            "1: cookies without Secure (plain HTTP); unset: `minxin serve` on loopback allows it",
                                            parse=_on_if_1, shown_default="unset")
    gc_freeze: Optional[bool] = knob("MINXIN_GC_FREEZE", None,
                                     "0: a served app leaves its start-up objects in the cyclic collector "
                                     "(webapp/gcfreeze.py); unset: frozen, except in tests",
                                     key="GC_FREEZE", parse=_off_if_0, shown_default="unset")
    timezone: str = knob("MINXIN_TIMEZONE", "Asia/Shanghai", "the one zone pages show and take times in (stored UTC)",
                         key="TIMEZONE")
    session_idle_minutes: float = knob("MINXIN_SESSION_IDLE_MINUTES", 120.0, "a session unused this long ends",
                                       key="SESSION_IDLE_MINUTES", parse=_float)
    trusted_proxies: int = knob("MINXIN_TRUSTED_PROXIES", 0, "reverse proxies whose X-Forwarded-For is trusted (nginx: 1)",
                                key="TRUSTED_PROXIES", parse=_int)
    ratelimit_storage: str = knob("MINXIN_RATELIMIT_STORAGE", "", "rate-limit counters", key="RATELIMIT_STORAGE",
                                  shown_default="memory, or the Redis broker under Celery")

    # --- notices, 督办 and 三率 -------------------------------------------------------------------
    smtp_host: str = knob("MINXIN_SMTP_HOST", "", "e-mail for reminders, 催办 and 督办 (empty: none)", key="SMTP_HOST")
    smtp_port: int = knob("MINXIN_SMTP_PORT", 25, "the SMTP server's port", key="SMTP_PORT", parse=_int)
    smtp_from: str = knob("MINXIN_SMTP_FROM", "minxin@localhost", "sender of the notices", key="SMTP_FROM")
    smtp_user: str = knob("MINXIN_SMTP_USER", "", "SMTP login (empty: none)", key="SMTP_USER")
    smtp_password: str = knob("MINXIN_SMTP_PASSWORD", "", "SMTP password", key="SMTP_PASSWORD")
    smtp_starttls: bool = knob("MINXIN_SMTP_STARTTLS", False, "1/true/yes: STARTTLS before login", key="SMTP_STARTTLS",
                               parse=_yes)
    notify_recipients: str = knob("MINXIN_NOTIFY_RECIPIENTS", "", "e-mail recipients per unit: 古楼子乡=a@x,b@y;宽甸县=c@z",
                                  key="NOTIFY_RECIPIENTS")
    sms_recipients: str = knob("MINXIN_SMS_RECIPIENTS", "", "gateway recipients per unit, same form", key="SMS_RECIPIENTS")
    sms_gateway_url: str = knob("MINXIN_SMS_GATEWAY_URL", "", "a county's SMS or messaging gateway (JSON POST)",
                                key="SMS_GATEWAY_URL")
    sms_gateway_token: str = knob("MINXIN_SMS_GATEWAY_TOKEN", "", "its bearer token", key="SMS_GATEWAY_TOKEN")
    notify_channel_factory: str = knob("MINXIN_NOTIFY_CHANNEL_FACTORY", "", "module:callable giving a channel of the county's own",
                                       key="NOTIFY_CHANNEL_FACTORY")
    supervise_after_working_days: int = knob("MINXIN_SUPERVISE_AFTER_WORKING_DAYS", 3,
                                             "working days overdue before an item rises to the 督办 list above",
                                             key="SUPERVISE_AFTER_WORKING_DAYS", parse=_int)
    response_working_days: int = knob("MINXIN_RESPONSE_WORKING_DAYS", 2, "the response time behind 响应率",
                                      key="RESPONSE_WORKING_DAYS", parse=_int)
    basic_satisfied_weight: float = knob("MINXIN_BASIC_SATISFIED_WEIGHT", 1.0,
                                         "how 满意率 counts 基本满意 (1 satisfied, 0.5 half, 0 not)",
                                         key="BASIC_SATISFIED_WEIGHT", parse=_float)

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None, *,
                 instance_path: Optional[str | Path] = None) -> "Settings":
        """The settings from `environ` (the process environment when None); `instance_path`
        stands in for MINXIN_INSTANCE_PATH. Reads files of nothing: keys kept in the instance
        folder are loaded by `core.compose`."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f.metadata["env"])
            default = _default_of(f)
            values[f.name] = default if raw is None else f.metadata["parse"](raw, default)
        if instance_path is not None:
            values["instance_path"] = Path(instance_path)
        instance = values["instance_path"]
        values["database_url"] = values["database_url"] or f"sqlite:///{instance / 'minxin.sqlite'}"
        values["data_dir"] = values["data_dir"] or instance / "data"
        values["extractor_dir"] = values["extractor_dir"] or instance / "extractor"
        return cls(**values)

    def but(self, **changes: Any) -> "Settings":
        return replace(self, **changes)

    def as_config(self) -> dict[str, Any]:
        """The config mapping handed to the parts (storage, jobs, queues, notices, 三率), keyed
        as the Flask config is; paths as text."""
        out: dict[str, Any] = {}
        for f in fields(self):
            key = f.metadata["key"]
            if key is not None:
                value = getattr(self, f.name)
                out[key] = str(value) if isinstance(value, Path) else value
        return out


def _default_of(f) -> Any:
    return f.default_factory() if f.default is MISSING else f.default


# Config key -> the knob's default, for `config_value`.
_DEFAULTS: dict[str, Any] = {}
for _f in fields(Settings):
    if _f.metadata["key"] is not None:
        _value = _default_of(_f)
        _DEFAULTS[_f.metadata["key"]] = str(_value) if isinstance(_value, Path) else _value


def default(key: str) -> Any:
    """The default of the knob whose config key is `key`."""
    return _DEFAULTS[key]


def config_value(config: Mapping[str, Any], key: str) -> Any:
    """`config[key]`, or that knob's default where the mapping lacks it or holds None or ""
    (a plain dict in a test or a script). Never the environment."""
    value = config.get(key)
    if value is None or value == "":
        return _DEFAULTS[key]
    return value


def child_environment(**extra: str) -> dict[str, str]:
    """This process's environment plus `extra`, for a child process (pg_dump needs PATH, HOME
    and the libpq variables an operator set)."""
    return {**os.environ, **extra}


def default_environment(**values: str) -> None:
    """Set variables third-party libraries read themselves (Paddle, Hugging Face), unless the
    operator already set them."""
    for name, value in values.items():
        os.environ.setdefault(name, value)


def table() -> str:
    """The knobs as a Markdown table (docs/SETTINGS.md)."""
    rows = ["| variable | default | config key | why |", "|---|---|---|---|"]
    for f in fields(Settings):
        meta = f.metadata
        shown = meta["shown_default"]
        if shown is None:
            value = _default_of(f)
            if isinstance(value, bool):
                shown = "1" if value else "0"
            else:
                shown = "unset" if value is None else ("empty" if value == "" else str(value))
        rows.append(f"| `{meta['env']}` | {shown} | {('`' + meta['key'] + '`') if meta['key'] else '—'} | {meta['why']} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(table(), end="")
