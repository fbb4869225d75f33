"""Shared CLI plumbing: friendly errors instead of tracebacks, exit codes, output helpers."""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import gc
import math
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from .safe_text import markup, safe

if TYPE_CHECKING:
    from .term import Console

    #: the consoles every command prints through (stdout, stderr): made on first use
    #: (:func:`__getattr__`), so that a command that prints nothing through them (``brief
    #: --quiet`` writing to a file) does not import rich (about 25 ms)
    console: Console
    err_console: Console

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2

_CONSOLES = ("console", "err_console")


def __getattr__(name: str) -> Any:
    """``console`` and ``err_console``, made on first use (PEP 562)."""
    if name not in _CONSOLES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return consoles()[_CONSOLES.index(name)]


def consoles() -> tuple[Console, Console]:
    """(stdout console, stderr console), made on the first call: rich consoles of a fixed
    width when the output is not a terminal (:class:`bhrscore.cli.term.Console`)."""
    made = globals()
    if "console" not in made:
        from .term import Console

        out = Console(highlight=False, soft_wrap=True)
        err = Console(stderr=True, highlight=False, soft_wrap=True)
        # err_console first: a thread that finds ``console`` finds both (the first made stay)
        made.setdefault("err_console", err)
        made.setdefault("console", out)
    return made["console"], made["err_console"]


def _err_console() -> Console:
    return consoles()[1]


#: text in which rich may see an emoji code (``:name:``); such text is printed through rich
_EMOJI_LIKE = re.compile(r":\S*:")


def print_text(text: str, *, stderr: bool = False, style: str | None = None) -> None:
    """Print ``text`` (no markup) and a newline as :data:`console` (or :data:`err_console`)
    would. While the consoles have not been made, text that rich would print unchanged (not a
    terminal, no style, no tab, nothing like an emoji code) is written directly, so that a
    command whose only output is such a line (``brief --quiet``: "Wrote FILE ...") does not
    import rich for it."""
    file = sys.stderr if stderr else sys.stdout
    if style is None and "console" not in globals() and _rich_adds_nothing(text, file):
        try:
            file.write(text + "\n")
            file.flush()
        except BrokenPipeError:  # as rich does: nothing more on stdout, exit 1
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise SystemExit(1) from None
        return
    console_ = consoles()[1 if stderr else 0]
    console_.print(text, markup=False, style=style)


def _rich_adds_nothing(text: str, file: Any) -> bool:
    """Whether a rich console (soft wrap, no highlighting, no markup) would write ``text`` to
    ``file`` as it is: the file is not a terminal by rich's rules (no ``FORCE_COLOR`` or
    ``TTY_COMPATIBLE``, not a notebook or IDLE, ``isatty()`` false) and the text holds no tab
    (rich expands tabs), no control character rich strips and nothing like an emoji code."""
    if file is None or "\t" in text or _EMOJI_LIKE.search(text) is not None:
        return False
    if any(ord(c) < 32 and c != "\n" for c in text):
        return False
    if "FORCE_COLOR" in os.environ or "TTY_COMPATIBLE" in os.environ:
        return False
    if "IPython" in sys.modules or "idlelib" in sys.modules:
        return False
    isatty = getattr(file, "isatty", None)
    try:
        return isatty is not None and not isatty()
    except Exception:
        return False


class UserError(click.ClickException):
    """A mistake in what the user gave us (paths, files, options): printed without a
    traceback, exit code 2 by default or 1 when the data itself is invalid."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it on the class

    def show(self, file: Any = None) -> None:
        _err_console().print(f"[bold red]error:[/] {markup(self.message)}", markup=True)


def fmt_num(value: Any, digits: int = 1, signed: bool = False) -> str:
    """A number for tables: fixed digits, ``-`` for missing (None, NA, NaN)."""
    if is_missing(value):
        return "-"
    return f"{float(value):{'+' if signed else ''}.{digits}f}"


def is_missing(value: Any) -> bool:
    """None, pandas' NA or NaN (pandas is imported only when it is already loaded)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    pandas = sys.modules.get("pandas")
    return pandas is not None and value is pandas.NA


def fail(message: str, exit_code: int = EXIT_USAGE) -> NoReturn:
    raise UserError(message, exit_code)


def parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    """Click callback for ``--as-of`` style options (ISO dates)."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form") from None


AS_OF = click.option(
    "--as-of",
    "as_of",
    callback=parse_date,
    default=None,
    metavar="YYYY-MM-DD",
    help="Date the assessment is made (default: today). Evidence after it is an error.",
)


def as_of_or_today(as_of: dt.date | None) -> dt.date:
    """The CLI is the one place that reads the clock; the library never does."""
    return as_of if as_of is not None else dt.date.today()


def output_path(path: str | Path) -> Path:
    """``path`` as an output file, checked before any work is done (a parent that is a file, a
    name too long, a directory that cannot be written): ``OutputError`` otherwise, which
    :func:`run_main` shows as one line."""
    from ..io import check_output_path

    return check_output_path(path)


def existing_path(path: str) -> Path:
    p = Path(path)
    if not p.exists():
        fail(f"{path}: no such file or directory")
    return p


def _show_plugin_warnings() -> None:
    """Plug-in warnings (:class:`bhrscore.plugins.PluginWarning`) as one ``warning:`` line on
    stderr, like the CLI's other messages; other warnings are shown as Python shows them."""
    import warnings

    shown = warnings.showwarning
    if getattr(shown, "bhrscore_plugins", False):
        return  # installed already

    def show(message: Any, category: Any, filename: str, lineno: int, *a: Any, **k: Any) -> None:
        if category.__name__ == "PluginWarning":
            _err_console().print(f"warning: {safe(str(message))}", markup=False)
        else:
            shown(message, category, filename, lineno, *a, **k)

    setattr(show, "bhrscore_plugins", True)  # noqa: B010
    warnings.showwarning = show


def run_main(command: Callable[..., Any], argv: list[str] | None) -> Any:
    """Run a click command; known user errors exit cleanly, anything else is a bug and keeps
    its traceback (with a line saying so)."""
    from ..evidence.report import EvidenceValidationError
    from ..io import OutputError
    from ..match import MismatchError

    _show_plugin_warnings()
    try:
        # Without standalone mode click returns the code of ``click.exceptions.Exit``.
        result = command.main(args=argv, prog_name="bhrscore", standalone_mode=False)  # type: ignore[attr-defined]
        sys.exit(result if isinstance(result, int) else EXIT_OK)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        _err_console().print("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (EvidenceValidationError, MismatchError) as exc:
        _err_console().print(f"error: {safe(str(exc))}", markup=False)
        sys.exit(EXIT_DATA)
    except OutputError as exc:  # a bad output path (2) or a failed write, e.g. a full disk (1)
        _err_console().print(f"error: {exc}", markup=False)
        sys.exit(EXIT_USAGE if exc.usage else EXIT_DATA)
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        _err_console().print(f"error: {exc.strerror}: {safe(str(exc.filename))}", markup=False)
        sys.exit(EXIT_USAGE)
    except BrokenPipeError:
        sys.exit(EXIT_OK)


#: container allocations (net) between young-generation collections in the CLI (Python's
#: default is 700)
GC_YOUNG_THRESHOLD = 200_000


def relax_gc(young: int = GC_YOUNG_THRESHOLD) -> bool:
    """Collect reference cycles less often in this (batch) process: at most every ``young``
    net container allocations, the middle generation every 20 young collections. Each young
    collection traverses every container made since the last one (a sheet's columns are
    lists of tens of thousands of cells), so at Python's default (700) `brief` at 100,000
    records spent 0.16-0.46 s (3-9 %) in the collector; at 50,000, four collections of
    30-60 ms each; at 200,000 none after the imports (the command collects once, where it
    matters for memory: :func:`frozen_imports`). Nothing is raised that is already higher.
    Returns whether anything changed."""
    gen0, gen1, gen2 = gc.get_threshold()
    if gen0 >= young or gen0 == 0:  # 0: collection is turned off
        return False
    gc.set_threshold(young, max(gen1, 20), gen2)
    return True


@contextlib.contextmanager
def frozen_imports() -> Iterator[None]:
    """Within the block, objects alive when it starts (the imported modules, their classes
    and functions: about 86,000 after `brief`'s imports) are in the collector's permanent
    generation, so a full collection traverses only what the command made: `brief`'s one
    collection between scoring and writing took about as long again for the imports as for
    the evidence. They go back to the oldest generation when the block ends (tests call the
    commands in their own process)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _freeze_heap() -> None:
    gc.disable()
    gc.freeze()


_EXIT_HOOK: list[Callable[[], None]] = []


def freeze_at_exit() -> bool:
    """At interpreter exit, move every object into the collector's permanent generation
    (``gc.freeze``), so the collections Python runs while it shuts down do not traverse the
    evidence's objects one last time: `brief` at 100,000 records spent 0.21-0.27 s between
    its last line and the end of the process, 0.05 s with this. Objects are still freed by
    reference counting; reference cycles still alive at exit are left to the operating
    system, as Python itself does for any object alive at exit. Registered once per process
    (``atexit`` runs it only when the process ends, also when tests call :func:`main`).
    Returns whether it was registered now."""
    if _EXIT_HOOK:
        return False
    import atexit

    atexit.register(_freeze_heap)
    _EXIT_HOOK.append(_freeze_heap)
    return True


#: glibc's ``mallopt`` parameter for the number of malloc arenas
_M_ARENA_MAX = -8


#: Arrow's allocator for the CLI, unless ``ARROW_DEFAULT_MEMORY_POOL`` is set
ARROW_POOL = "system"
_POOL_SET = False  # whether system_arrow_pool set the variable (restore_arrow_pool undoes it)


def system_arrow_pool() -> bool:
    """Make Arrow allocate with the C library's ``malloc`` (the ``system`` pool) instead of
    its bundled mimalloc, unless the user chose a pool (``ARROW_DEFAULT_MEMORY_POOL``). The
    variable is read when Arrow makes its default pool, so this takes effect only if no Arrow
    memory was allocated yet (the CLI calls it first). Why: mimalloc keeps the memory freed
    in its worker threads' heaps, out of reach of ``release_unused``; glibc's arenas are
    capped (:func:`limit_malloc_arenas`) and trimmed after loading. Measured with `brief`:
    peak 2,018-2,082 MB at 1M records with mimalloc, 1,853-1,859 MB with the system pool;
    at 100k 467 against 384-406 MB; the same times. Returns whether it was set; undo it
    with :func:`restore_arrow_pool`."""
    global _POOL_SET
    if "ARROW_DEFAULT_MEMORY_POOL" in os.environ:
        return False
    os.environ["ARROW_DEFAULT_MEMORY_POOL"] = ARROW_POOL
    _POOL_SET = True
    return True


def restore_arrow_pool() -> None:
    """Take back the variable :func:`system_arrow_pool` set (if it did), so processes started
    from here on (Dask workers, a notebook's later subprocesses after an in-process
    :func:`~bhrscore.cli.main`) get Arrow's own default, as they would without the CLI."""
    global _POOL_SET
    if _POOL_SET and os.environ.get("ARROW_DEFAULT_MEMORY_POOL") == ARROW_POOL:
        del os.environ["ARROW_DEFAULT_MEMORY_POOL"]
    _POOL_SET = False


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Let this process use at most ``arenas`` glibc malloc arenas (the default is 8 per core),
    unless ``MALLOC_ARENA_MAX`` is set. Each thread that allocates (the loader's read-ahead,
    the companion writer, the comparisons' pool) may otherwise get an arena of its own that
    keeps freed memory: at 1M records `brief` peaked at 2,046 MB with them and 2,001 MB
    with 2, in the same time. Returns whether the limit was set (glibc Linux only)."""
    if "MALLOC_ARENA_MAX" in os.environ or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))
