"""usage_report — report a Python CLI's command runs through usage-report(1).

    import usage_report

    usage_report.configure(app="mycli", cli_version="2.1.0")

    @usage_report.command("mycli deploy")
    def deploy(args):
        ...

    with usage_report.track("mycli build", properties={"target": "arm64"}):
        ...

    usage_report.login()          # after the host's own login succeeded
    usage_report.logout()

Each run is timed with the monotonic clock and reported with its exit code: a
``SystemExit``'s code, 130 for ``KeyboardInterrupt``, 1 for any other exception, whose
message goes as ``--error`` (usage-report scrubs it) and whose class as ``--error-type``.
usage-report is started without waiting for it (a background thread reaps it, so no zombie
is left), with the facts on its standard input or in its environment — never in its
arguments, which other users can read. Nothing here ever raises, and nothing changes the
command's outcome: exceptions are re-raised as they were. When usage-report is not
installed, or on Windows (which usage-report does not support), every call does nothing.

usage-report's standard error is the user's: on the first run it shows the first-run
notice there when it is a terminal (events are held until someone could have read it).
"""

import contextlib
import functools
import json
import os
import re
import shutil
import subprocess
import threading
import time
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, TypeVar

__all__ = ["configure", "command", "track", "login", "logout", "report"]
__version__ = "0.1.0"

F = TypeVar("F", bound=Callable[..., Any])

# The event variables of a caller's own environment must not leak into this report.
_EVENT_VARIABLES = ("USAGE_REPORT_COMMAND", "USAGE_REPORT_DURATION", "USAGE_REPORT_EXIT_CODE", "USAGE_REPORT_ERROR",
                    "USAGE_REPORT_ERROR_TYPE", "USAGE_REPORT_EVENT", "USAGE_REPORT_CLI_VERSION")

_settings: Dict[str, Any] = {"app": None, "config": None, "cli_version": None,
                             "binary": "usage-report", "properties": {}}


def configure(app: Optional[str] = None, config: Optional[str] = None, cli_version: Optional[str] = None,
              binary: Optional[str] = None, properties: Optional[Mapping[str, Any]] = None) -> None:
    """Set, once, what every report carries: the host's ``app`` name (its config and state),
    a ``config`` file, the host's ``cli_version``, the ``binary`` to run, and ``properties``
    added to every event (JSON values: typed in the event)."""
    for key, value in (("app", app), ("config", config), ("cli_version", cli_version), ("binary", binary)):
        if value is not None:
            _settings[key] = value
    if properties is not None:
        _settings["properties"] = dict(properties)


def _binary() -> Optional[str]:
    if os.name == "nt":
        return None  # usage-report does not run on Windows: do nothing there
    return shutil.which(_settings["binary"])


def _base_args(binary: str) -> list:
    args = [binary]
    if _settings["app"]:
        args += ["--app", _settings["app"]]
    if _settings["config"]:
        args += ["--config", _settings["config"]]
    return args


def _start(args: list, stdin_text: Optional[str] = None, env: Optional[Mapping[str, str]] = None) -> None:
    """Start usage-report, feed it, and let a daemon thread reap it: never waits, never raises."""
    try:
        child_env = {k: v for k, v in os.environ.items() if k not in _EVENT_VARIABLES}
        child_env.update(env or {})
        proc = subprocess.Popen(args, stdin=subprocess.PIPE if stdin_text is not None else subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, close_fds=True, env=child_env)
        if stdin_text is not None:
            try:
                proc.stdin.write(stdin_text.encode("utf-8", "replace"))  # well under a pipe's buffer
                proc.stdin.close()
            except OSError:
                pass
        threading.Thread(target=proc.wait, name="usage-report-reaper", daemon=True).start()
    except (OSError, ValueError, RuntimeError):
        pass


def _error_type(exc: BaseException) -> str:
    """ValueError -> value_error: the class name as usage-report's [a-z0-9_.-] kind."""
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()
    return re.sub(r"[^a-z0-9_.-]", "_", name)[:64] or "error"


def _exit_code(exc: Optional[BaseException]) -> int:
    if exc is None:
        return 0
    if isinstance(exc, KeyboardInterrupt):
        return 130
    if isinstance(exc, SystemExit):
        code = exc.code
        if code is None:
            return 0
        return code if isinstance(code, int) and 0 <= code <= 255 else 1
    return 1


def report(command: str, duration_ms: Optional[float] = None, exit_code: int = 0, error: Optional[str] = None,
           error_type: Optional[str] = None, properties: Optional[Mapping[str, Any]] = None,
           event: Optional[str] = None) -> None:
    """Report one run that already happened (``track`` and ``command`` call this)."""
    try:
        binary = _binary()
        if not binary:
            return
        doc: Dict[str, Any] = {"command": command, "exit_code": int(exit_code)}
        if duration_ms is not None and duration_ms > 0:
            doc["duration_ms"] = round(float(duration_ms), 3)
        if error:
            doc["error"] = str(error)
        if error_type:
            doc["error_type"] = error_type
        if event:
            doc["event"] = event
        if _settings["cli_version"]:
            doc["cli_version"] = _settings["cli_version"]
        props = {**_settings["properties"], **(properties or {})}
        if props:
            doc["properties"] = props
        _start(_base_args(binary) + ["track", "--json", "-"], stdin_text=json.dumps(doc, default=str))
    except Exception:  # never the host's problem
        pass


@contextlib.contextmanager
def track(command: str, properties: Optional[Mapping[str, Any]] = None,
          event: Optional[str] = None) -> Iterator[None]:
    """Time the block and report it, then let whatever it raised go on unchanged."""
    start = time.monotonic()
    try:
        yield
    except BaseException as exc:
        failed = not isinstance(exc, (SystemExit, KeyboardInterrupt))
        report(command, (time.monotonic() - start) * 1000, _exit_code(exc),
               error=str(exc) if failed else None, error_type=_error_type(exc) if failed else None,
               properties=properties, event=event)
        raise
    report(command, (time.monotonic() - start) * 1000, 0, properties=properties, event=event)


def command(name: str, properties: Optional[Mapping[str, Any]] = None, event: Optional[str] = None) -> Callable[[F], F]:
    """Decorator: report every call of the function as the command ``name``."""
    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            with track(name, properties=properties, event=event):
                return fn(*args, **kwargs)
        return run  # type: ignore[return-value]
    return wrap


def _account(subcommand: str, principal_id: Optional[str]) -> None:
    try:
        binary = _binary()
        if not binary:
            return
        args = _base_args(binary) + [subcommand]
        if principal_id:
            args += ["--principal-id", principal_id]
        env = {"USAGE_REPORT_CLI_VERSION": _settings["cli_version"]} if _settings["cli_version"] else None
        _start(args, env=env)
    except Exception:
        pass


def login(principal_id: Optional[str] = None) -> None:
    """The host's login succeeded: link the account (``principal_id``, or resolved by
    usage-report through its config's [auth])."""
    _account("login", principal_id)


def logout() -> None:
    """The host's logout succeeded: report it, then start a fresh anonymous id."""
    _account("logout", None)
