"""Every setting of regtrail in one place: the `REGTRAIL_*` variables, typed and checked, and the paths they give.

`ENV` is the typed settings object: one attribute per variable, read from the environment when it is accessed (so a
test or a DAG task that changes the environment is seen at once) and checked against its type; a bad value raises
`SettingError` naming the variable. No other module of regtrail reads the environment: they call the functions
below. `python -m regtrail.settings` prints the reference table of docs/settings.md (checked by a test).

Importing this module costs only the standard library: `regtrail parse` reads it on its fast start path.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent
# What the wheel carries besides the code (pyproject.toml's force-include): the dbt project and the DAG file.
BUNDLED_DIR = PACKAGE_DIR / "_bundled"
USER_AGENT = "regtrail/0.1 (+https://github.com/regtrail/regtrail; regulatory filings research crawler)"
T = TypeVar("T")


class SettingError(ValueError):
    """An environment variable whose value does not have its setting's type."""


def _text(raw: str) -> str:
    return raw


def _float(raw: str) -> float:
    value = float(raw)
    if value < 0:
        raise ValueError("must not be negative")
    return value


def _int(raw: str) -> int:
    value = int(float(raw))
    if value < 0:
        raise ValueError("must not be negative")
    return value


def _positive(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError("must be a positive number")
    return value


def _flag(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("must be one of 1/true/yes/on or 0/false/no/off")


def _words(raw: str) -> tuple[str, ...]:
    return tuple(part for part in re.split(r"[\s,]+", raw) if part)


def _json_object(raw: str) -> dict[str, Any]:
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object")
    return value


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw.lower() not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return raw.lower()

    parse.__name__ = "one of " + "/".join(choices)
    return parse


TYPE_NAMES = {_text: "text", _float: "number ≥ 0", _positive: "number > 0", _int: "integer ≥ 0", _flag: "flag",
              _words: "list", _json_object: "JSON object"}


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One `REGTRAIL_*` variable: its parser, its default (used when unset or blank) and what it does."""

    name: str
    parse: Callable[[str], T]
    default: T
    help: str
    default_text: str = ""

    def read(self, environ: dict[str, str] | os._Environ[str] | None = None) -> T:
        raw = (os.environ if environ is None else environ).get(self.name, "").strip()
        if not raw:
            return self.default
        try:
            return self.parse(raw)
        except (ValueError, TypeError) as exc:
            raise SettingError(f"{self.name}={raw!r}: {exc}") from None

    def __get__(self, instance: object, owner: type | None = None) -> T:
        return self.read()

    @property
    def type_name(self) -> str:
        return TYPE_NAMES.get(self.parse, self.parse.__name__)


class Env:
    """The typed settings object: each attribute is a `Setting`, read from the environment on access."""

    home = Setting("REGTRAIL_HOME", _text, "", "The local root: event log and archive (unless REGTRAIL_LOG), "
                   "warehouse, build file, Airflow metadata, logs.", "./data")
    log = Setting("REGTRAIL_LOG", _text, "", "The event log and archive root: a folder or an fsspec URL "
                  "(`s3://bucket/prefix`).", "REGTRAIL_HOME")
    storage_options = Setting("REGTRAIL_STORAGE_OPTIONS", _json_object, {}, "fsspec options for REGTRAIL_LOG "
                              "(a JSON object, e.g. an S3 endpoint).", "{}")
    mirror = Setting("REGTRAIL_MIRROR", _text, "", "Origin of a mirror: every `https://HOST/PATH` is fetched from "
                     "`$REGTRAIL_MIRROR/HOST/PATH`. Unset: the live sites (production).", "unset")
    mirror_rate_limit = Setting("REGTRAIL_MIRROR_RATE_LIMIT", _float, 0.0, "Requests per second per host in "
                                "mirror mode (0: unlimited).")
    mirror_verbose = Setting("REGTRAIL_MIRROR_VERBOSE", _flag, False, "The mirror server logs every request.")
    shared = Setting("REGTRAIL_SHARED", _text, "", "The folder holding `cac_data/` (the real CAC files) that the "
                     "mirror serves.", "../shared beside the checkout")
    allow_private_hosts = Setting("REGTRAIL_ALLOW_PRIVATE_HOSTS", _words, (), "Hosts (or host:port) fetched "
                                  "although their address is not public (comma-separated).", "none")
    max_body_bytes = Setting("REGTRAIL_MAX_BODY_BYTES", _int, 100 * 1024 * 1024, "Largest response body "
                             "accepted; a larger download is aborted.", "104857600 (100 MiB)")
    max_unzipped_bytes = Setting("REGTRAIL_MAX_UNZIPPED_BYTES", _int, 512 * 1024 * 1024, "Largest unpacked "
                                 "size of a ZIP (DOCX) attachment.", "536870912 (512 MiB)")
    fetch_deadline = Setting("REGTRAIL_FETCH_DEADLINE", _positive, 300.0, "Wall-clock seconds one request may take, "
                             "connect, headers and body together; a request still running then is cut and recorded "
                             "as a `timeout` fetch event.")
    flush_seconds = Setting("REGTRAIL_FLUSH_SECONDS", _float, 30.0, "How often a crawl writes its buffered "
                            "events.")
    build_db = Setting("REGTRAIL_BUILD_DB", _text, "", "The file dbt builds into before publication.",
                       "REGTRAIL_HOME/build/warehouse.duckdb")
    cache_dir = Setting("REGTRAIL_CACHE_DIR", _text, "", "Work a build may reuse from an earlier one (the English "
                        "names' translations, filed under everything they depend on); deleting it only costs time.",
                        "REGTRAIL_HOME/cache")
    build_lock_ttl = Setting("REGTRAIL_BUILD_LOCK_TTL", _float, 7200.0, "Seconds a build lease lasts without "
                             "renewal before another build may take it.")
    build_lock_wait = Setting("REGTRAIL_BUILD_LOCK_WAIT", _float, 0.0, "Seconds a build waits for another "
                              "build's lease (0: fail at once).")
    build_run = Setting("REGTRAIL_BUILD_RUN", _text, "", "The run id holding the build lease (set by the demo; "
                        "else the Airflow run, else this process).", "unset")
    dbt_tasks = Setting("REGTRAIL_DBT_TASKS", _choice("build", "models"), "build", "How the warehouse DAG runs "
                        "dbt: one `dbt build` task, or one task per model.")
    full_refresh = Setting("REGTRAIL_FULL_REFRESH", _flag, False, "Build the warehouse from scratch instead of "
                           "from the published one.")
    crawl_task_timeout_hours = Setting("REGTRAIL_CRAWL_TASK_TIMEOUT_HOURS", _positive, 6.0, "Hours an Airflow "
                                       "crawl task may run before Airflow stops it.")
    build_task_timeout_hours = Setting("REGTRAIL_BUILD_TASK_TIMEOUT_HOURS", _positive, 2.0, "Hours a warehouse "
                                       "DAG task (prepare, dbt, publish) may run before Airflow stops it.")
    warehouse_queue = Setting("REGTRAIL_WAREHOUSE_QUEUE", _text, "", "Celery queue of the warehouse DAG's tasks "
                              "(unset: the default queue).", "unset")
    notify = Setting("REGTRAIL_NOTIFY", _words, (), "Apprise URLs notified after a publication that changed "
                     "something on the watchlist (secret: never printed).", "unset (no alerts)")
    watchlist = Setting("REGTRAIL_WATCHLIST", _text, "", "YAML file of the watchlist (`groups`, `entities`, "
                        "`filing_numbers`, `keywords`).", "unset (everything)")

    @classmethod
    def settings(cls) -> list[Setting[Any]]:
        """Every setting, in the order above."""
        return [value for value in vars(cls).values() if isinstance(value, Setting)]


ENV = Env()


def _sources_dir() -> Path:
    """The folder of the source folders: the `scrapers` package, located without importing it."""
    spec = importlib.util.find_spec("scrapers")
    if spec is None or not spec.submodule_search_locations:
        return REPO_ROOT / "scrapers"
    return Path(next(iter(spec.submodule_search_locations))).resolve()


SOURCES_DIR = _sources_dir()


def home() -> Path:
    """The local root: warehouse, build file, Airflow metadata; the log too unless REGTRAIL_LOG moves it.

    Unset, `./data`, said once on stderr (a command run in another folder would otherwise write there silently).
    """
    if ENV.home:
        return Path(ENV.home).resolve()
    _say_default_home(Path("data").resolve())
    return Path("data").resolve()


@functools.cache
def _say_default_home(path: Path) -> None:
    print(f"regtrail: REGTRAIL_HOME is not set: using {path}", file=sys.stderr)


def in_checkout() -> bool:
    """Whether the code runs from the repository (editable install or PYTHONPATH), not from an installed wheel."""
    return (REPO_ROOT / "pyproject.toml").is_file() and (REPO_ROOT / "dbt_project").is_dir()


def _shipped(name: str) -> Path:
    """A top-level folder of the repository, or its copy inside the installed package."""
    return REPO_ROOT / name if in_checkout() else BUNDLED_DIR / name


def dbt_project_dir() -> Path:
    """The dbt project (read only: dbt's target and logs go under REGTRAIL_HOME, see `dbt_work_dir`)."""
    return _shipped("dbt_project")


def dbt_work_dir(home_dir: Path | None = None) -> Path:
    """dbt's target and log folders of the warehouse build (`<dir>/target`, `<dir>/logs`), its working folder."""
    return (home_dir or home()) / "dbt"


def dbt_manifest() -> Path:
    """The manifest `regtrail demo` writes with `dbt parse` and the per-model DAG reads."""
    return dbt_work_dir() / "target" / "manifest.json"


def seeds_dir() -> Path:
    """The dbt seeds (admin codes, announced lists, entity aliases)."""
    return dbt_project_dir() / "seeds"


def dags_dir() -> Path:
    """The folder with the DAG file (`regtrail_cac.py`, which imports the DAGs from `regtrail.ops.dags`)."""
    return _shipped("dags")


def log_root() -> Path | str:
    """The event log and archive root (`REGTRAIL_LOG`, default REGTRAIL_HOME).

    An fsspec URL (`s3://bucket/prefix`) is kept as a string; a local path (or `file://` URL) is a Path.
    """
    value = ENV.log
    if not value:
        return home()
    if value.startswith("file://"):
        return Path(value.removeprefix("file://")).resolve()
    if "://" in value:
        return value.rstrip("/")
    return Path(value).resolve()


def log_env() -> dict[str, str]:
    """`REGTRAIL_LOG` for a dbt process, made absolute (dbt reads it verbatim); empty when unset.

    Unset, dbt reads the log under REGTRAIL_HOME.
    """
    return {"REGTRAIL_LOG": str(log_root())} if ENV.log else {}


def storage_options() -> dict[str, Any]:
    """fsspec storage options for the log (`REGTRAIL_STORAGE_OPTIONS`)."""
    return ENV.storage_options


def mirror_origin() -> str | None:
    """The mirror origin (`REGTRAIL_MIRROR`), or None in production mode."""
    return ENV.mirror.rstrip("/") or None


def shared_dir() -> Path:
    """The folder with the real CAC files (`REGTRAIL_SHARED`; default `<repo>/../shared` in a checkout,
    `./shared` for an installed package, where the mirror then serves synthetic lists unless it exists)."""
    if ENV.shared:
        return Path(ENV.shared).resolve()
    return (REPO_ROOT.parent / "shared" if in_checkout() else Path("shared")).resolve()


def dbt_executable() -> str:
    """The dbt installed beside this interpreter (the project's venv), else the one on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def warehouse_path() -> Path:
    """The published warehouse file."""
    return home() / "warehouse.duckdb"


def build_db(home_dir: Path | None = None) -> Path:
    """The file dbt builds into (`REGTRAIL_BUILD_DB`, default `<home>/build/warehouse.duckdb`)."""
    return Path(ENV.build_db) if ENV.build_db else (home_dir or home()) / "build" / "warehouse.duckdb"


def cache_dir(home_dir: Path | None = None) -> Path:
    """Work a build may reuse from an earlier one (`REGTRAIL_CACHE_DIR`, default `<home>/cache`)."""
    return Path(ENV.cache_dir) if ENV.cache_dir else (home_dir or home()) / "cache"


def dbt_tasks() -> str:
    """How the warehouse DAG runs dbt (`REGTRAIL_DBT_TASKS`): `build` (one task) or `models` (one per model)."""
    return ENV.dbt_tasks


def full_refresh() -> bool:
    """Build the warehouse from scratch instead of from the published one (`REGTRAIL_FULL_REFRESH`)."""
    return ENV.full_refresh


def fetch_deadline() -> float:
    """Wall-clock seconds one request may take, connect, headers and body together (`REGTRAIL_FETCH_DEADLINE`)."""
    return ENV.fetch_deadline


def crawl_task_timeout_hours() -> float:
    """Hours an Airflow crawl task may run (`REGTRAIL_CRAWL_TASK_TIMEOUT_HOURS`)."""
    return ENV.crawl_task_timeout_hours


def build_task_timeout_hours() -> float:
    """Hours a warehouse DAG task may run (`REGTRAIL_BUILD_TASK_TIMEOUT_HOURS`)."""
    return ENV.build_task_timeout_hours


def airflow_run() -> str | None:
    """The Airflow DAG run executing this process (`dag/run` from Airflow's task context), or None."""
    dag, run = os.environ.get("AIRFLOW_CTX_DAG_ID"), os.environ.get("AIRFLOW_CTX_DAG_RUN_ID")
    return f"{dag}/{run}" if dag and run else None


def in_airflow_task() -> bool:
    """True inside an Airflow task (its context names a DAG run)."""
    return bool(os.environ.get("AIRFLOW_CTX_DAG_RUN_ID"))


def reference_table() -> str:
    """The Markdown table of every setting (docs/settings.md)."""
    lines = ["| variable | type | default | what it does |", "|---|---|---|---|"]
    for setting in Env.settings():
        default = setting.default_text or (str(setting.default) if setting.default not in ("", (), {}) else "unset")
        lines.append(f"| `{setting.name}` | {setting.type_name} | {default} | {setting.help} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(reference_table(), end="")
