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
    print(usage_report.level("errors"))   # the host's `telemetry` command: failed runs only

Each run, sync or ``async def``, is timed with the monotonic clock and reported with its
exit code: a ``SystemExit``'s code; the integer ``exit_code`` of an exception that has one
(click's and typer's ``Exit``, ``Abort``, ``ClickException``, a host's own ``CLIError``), code
0 being a success; 130 for ``KeyboardInterrupt``; 1 for any other exception, whose message
goes as the error (usage-report scrubs it) and whose ``error_type`` attribute, or class name
in snake_case with acronyms kept whole (``APIError`` -> ``api_error``), as the error type.
usage-report is run with every fact on its standard input, never in its arguments (which
other users can read), and waited for: its foreground takes about a millisecond and never
touches the network, so no thread and no zombie are left behind. A message or property too
long for usage-report is truncated, never lost with the event. Nothing here ever raises
(Ctrl-C excepted: it reaches the host as it would) or writes to the host's stdout, and
nothing changes the command's outcome: exceptions are re-raised as they were. The
usage-report run is the one a platform wheel of this package carries (``pip install
usage-report`` on Linux x86_64 or aarch64, and Windows x86_64), else the one on ``PATH``;
when there is none, every call does nothing. On Windows it is started with no console
window (CREATE_NO_WINDOW).

usage-report's standard error is the user's: on the first run it shows the first-run
notice there (events are held until it was written where someone can read it).
"""

import contextlib
import functools
import inspect
import json
import os
import re
import shutil
import subprocess
import time
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, TypeVar

__all__ = ["configure", "command", "track", "login", "logout", "report", "level", "history", "forget"]
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


# The executable a platform wheel carries (make wheel), beside its sender.
_BIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin")

# Windows: started with no console window of its own (a GUI host, pythonw, a service), as
# the sender it starts in turn (usage-report.exe: DETACHED_PROCESS, design.md §9.1).
_CREATE_NO_WINDOW = 0x08000000


def _bundled() -> str:
    return os.path.join(_BIN, "usage-report.exe" if os.name == "nt" else "usage-report")


def _binary() -> Optional[str]:
    """The usage-report to run: the one configure() named; else the one this package
    carries (a platform wheel); else the one on PATH; else None (nothing is reported)."""
    bundled = _bundled()
    if _settings["binary"] == "usage-report" and os.path.isfile(bundled) and os.access(bundled, os.X_OK):
        return bundled
    return shutil.which(_settings["binary"])


def _start_options() -> Dict[str, Any]:
    """What every start of usage-report adds to Popen's arguments on this system."""
    return {"creationflags": _CREATE_NO_WINDOW} if os.name == "nt" else {}


def _base_args(binary: str) -> list:
    args = [binary]
    if _settings["app"]:
        args += ["--app", _settings["app"]]
    if _settings["config"]:
        args += ["--config", _settings["config"]]
    return args


# usage-report's limits (usage-report(1)): what goes beyond them is truncated here.
_MAX_ERROR_BYTES = 4096  # the message is scrubbed and cut to 300 characters anyway
_MAX_TEXT_BYTES = 200  # command, event, cli_version, principal id
_MAX_PROPERTY_BYTES = 1000
_MAX_PROPERTIES = 64
_PROPERTY_KEY = re.compile(r"[A-Za-z0-9_.-]{1,64}\Z")


def _cut(text: str, limit: int) -> str:
    """text in at most limit bytes of UTF-8, cut on a character boundary."""
    data = text.encode("utf-8", "replace")
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


def _properties(props: Mapping[str, Any]) -> Dict[str, Any]:
    """The properties usage-report takes: keys it accepts, values cut to its limit (a typed
    value too long becomes its JSON text, cut), at most 64."""
    out: Dict[str, Any] = {}
    for key, value in props.items():
        key = str(key)
        if len(out) == _MAX_PROPERTIES or key.startswith("$") or not _PROPERTY_KEY.match(key):
            continue
        if not isinstance(value, (str, int, float, bool, type(None), list, dict)):
            value = str(value)
        if not isinstance(value, str):
            text = json.dumps(value, default=str, ensure_ascii=False)
            if len(text.encode("utf-8")) <= _MAX_PROPERTY_BYTES:
                out[key] = value
                continue
            value = text
        out[key] = _cut(value, _MAX_PROPERTY_BYTES)
    return out


def _run(args: list, doc: Mapping[str, Any]) -> None:
    """Run usage-report with doc on its stdin and wait for it (its foreground is quick and
    never blocks: no network, no lock it cannot take at once): no thread, no zombie, and no
    child of ours for the host's own os.wait() to find. Its stderr is the user's (the
    notice); its stdout is not the host's. Raises nothing but KeyboardInterrupt."""
    try:
        env = None  # the host's own environment, unless it holds event variables of its own
        if any(name in os.environ for name in _EVENT_VARIABLES):
            env = {k: v for k, v in os.environ.items() if k not in _EVENT_VARIABLES}
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, close_fds=True, env=env,
                                **_start_options())
    except (OSError, ValueError):
        return
    try:
        # a plain write and wait: communicate() with a timeout polls, and costs twice the run
        proc.stdin.write(json.dumps(doc, default=str).encode("utf-8", "replace"))
        proc.stdin.close()
    except OSError:
        pass
    proc.wait()


def _doc(command: Optional[str], duration_ms: Optional[float], exit_code: Optional[int], error: Optional[str],
         error_type: Optional[str], properties: Optional[Mapping[str, Any]], event: Optional[str]) -> Dict[str, Any]:
    """The event as usage-report's --json - reads it, every fact within its limits."""
    doc: Dict[str, Any] = {}
    if command:
        doc["command"] = _cut(command, _MAX_TEXT_BYTES)
    if exit_code is not None:
        doc["exit_code"] = int(exit_code) if 0 <= int(exit_code) <= 255 else 1
    if duration_ms is not None and duration_ms > 0:
        doc["duration_ms"] = round(float(duration_ms), 3)
    if error:
        doc["error"] = _cut(str(error), _MAX_ERROR_BYTES)
    if error_type:
        doc["error_type"] = error_type
    if event:
        doc["event"] = _cut(event, _MAX_TEXT_BYTES)
    if _settings["cli_version"]:
        doc["cli_version"] = _cut(str(_settings["cli_version"]), _MAX_TEXT_BYTES)
    props = _properties({**_settings["properties"], **(properties or {})})
    if props:
        doc["properties"] = props
    return doc


def _error_type(exc: BaseException) -> str:
    """The exception's error_type attribute, or its class name in snake_case with acronyms
    kept whole: APIError -> api_error, NotAuthenticatedError -> not_authenticated_error."""
    own = getattr(exc, "error_type", None)
    name = own if isinstance(own, str) and own else type(exc).__name__
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
    return re.sub(r"[^a-z0-9_.-]", "_", name)[:64] or "error"


def _exit_code(exc: Optional[BaseException]) -> int:
    """The exit code a run that raised exc ends with."""
    if exc is None:
        return 0
    if isinstance(exc, KeyboardInterrupt):
        return 130
    if isinstance(exc, SystemExit):
        code = exc.code
        if code is None:
            return 0
        return code if isinstance(code, int) and 0 <= code <= 255 else 1
    code = getattr(exc, "exit_code", None)  # click and typer: Exit, Abort, ClickException
    if isinstance(code, int) and not isinstance(code, bool):
        return code if 0 <= code <= 255 else 1
    return 1


def _failure(exc: BaseException) -> Dict[str, Optional[str]]:
    """The error and error type a run that raised exc reports: none for an exit on purpose
    (SystemExit with a code, typer.Exit, Ctrl-C) or a success."""
    if isinstance(exc, KeyboardInterrupt) or _exit_code(exc) == 0:
        return {"error": None, "error_type": None}
    if isinstance(exc, SystemExit):
        return {"error": exc.code if isinstance(exc.code, str) else None, "error_type": None}
    message = str(exc)
    if type(exc).__name__ == "Exit" and hasattr(exc, "exit_code"):
        return {"error": None, "error_type": None}  # click.exceptions.Exit: an exit code, not an error
    return {"error": message or None, "error_type": _error_type(exc)}


def report(command: str, duration_ms: Optional[float] = None, exit_code: int = 0, error: Optional[str] = None,
           error_type: Optional[str] = None, properties: Optional[Mapping[str, Any]] = None,
           event: Optional[str] = None) -> None:
    """Report one run that already happened (``track`` and ``command`` call this)."""
    try:
        binary = _binary()
        if binary:
            _run(_base_args(binary) + ["track", "--json", "-"],
                 _doc(command, duration_ms, exit_code, error, error_type, properties, event))
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
        report(command, (time.monotonic() - start) * 1000, _exit_code(exc), properties=properties, event=event,
               **_failure(exc))
        raise
    report(command, (time.monotonic() - start) * 1000, 0, properties=properties, event=event)


def command(name: str, properties: Optional[Mapping[str, Any]] = None, event: Optional[str] = None) -> Callable[[F], F]:
    """Decorator: report every call of the function as the command ``name``; an ``async
    def`` is timed until its coroutine ends."""
    def wrap(fn: F) -> F:
        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with track(name, properties=properties, event=event):
                    return await fn(*args, **kwargs)
            return run_async  # type: ignore[return-value]

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            with track(name, properties=properties, event=event):
                return fn(*args, **kwargs)
        return run  # type: ignore[return-value]
    return wrap


def _account(subcommand: str, principal_id: Optional[str], facts: Mapping[str, Any]) -> None:
    try:
        binary = _binary()
        if not binary:
            return
        doc = _doc(facts.get("command"), facts.get("duration_ms"), facts.get("exit_code"), None, None,
                   facts.get("properties"), facts.get("event"))
        if principal_id:
            doc["principal_id"] = _cut(str(principal_id), _MAX_TEXT_BYTES)
        _run(_base_args(binary) + [subcommand, "--json", "-"], doc)
    except Exception:
        pass


def login(principal_id: Optional[str] = None, **facts: Any) -> None:
    """The host's login succeeded: link the account (``principal_id``, or resolved by
    usage-report through its config's [auth]). ``facts``: ``command``, ``duration_ms``,
    ``exit_code``, ``properties``, ``event``, as for ``report``."""
    _account("login", principal_id, facts)


def _ask(*args: str) -> Optional[str]:
    """Run a usage-report subcommand a person asked for and wait: what it printed, or None when
    there is no usage-report or it said no (its exit status not 0)."""
    try:
        binary = _binary()
        if not binary:
            return None
        done = subprocess.run(_base_args(binary) + list(args), stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=30, **_start_options())
        return done.stdout if done.returncode == 0 else None
    except Exception:
        return None


def level(value: str) -> Optional[str]:
    """Persist the user's level, ``"all"`` or ``"errors"`` (failed runs only), for a host's own
    ``telemetry`` command: what usage-report printed for the user to read, or None when
    there is no usage-report (or it refused: an unknown level)."""
    return _ask("level", str(value))


def history(json: bool = False, n: Optional[int] = None) -> Optional[str]:
    """What left the machine, newest first, and what is queued (``json``: one object a line)."""
    return _ask("history", *(["--json"] if json else []), *(["-n", str(int(n))] if n else []))


def forget(disable: bool = False) -> Optional[str]:
    """Ask for this device's data to be deleted (and, with ``disable``, turn reporting off):
    what usage-report printed, or None (no usage-report, or reporting is off: nothing sent)."""
    return _ask("forget", *(["--disable"] if disable else []))


def logout(**facts: Any) -> None:
    """The host's logout succeeded: report it (with ``facts`` as for ``login``), then start
    a fresh anonymous id."""
    _account("logout", None, facts)
