"""Output files that never leak or lie: atomic replacement, temporary files beside the target,
leftovers of killed runs removed, and one clear :class:`OutputError` for any OS error.

Every file bhrscore writes goes through :func:`atomic_path` (one file) or
:func:`atomic_paths` (several files that belong together, all or none): the content is
written to a temporary file beside its target and renamed over it when everything is written,
so a crash or a full disk never leaves a half-written file and an existing file stays as it
was. Writers that need scratch space (XlsxWriter's row data in constant-memory mode) get a
directory beside the target from :func:`scratch_dir`, never in ``$TMPDIR``, and it is removed
when they finish.

Temporary names carry the target's name and the writing process's id
(``.briefing.xlsx.<pid>-<random>.tmp`` and ``....tmpdir``). A run killed with ``kill -9``
cannot remove them, so the next run that writes the same target removes those whose process
is gone (:func:`remove_stale_temps`); nothing else is ever deleted.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

TEMP_SUFFIX = ".tmp"
SCRATCH_SUFFIX = ".tmpdir"
#: longest target name (in bytes) used in temporary names, so that they stay within the usual
#: 255-byte limit on a file name even for long targets
_STEM_BYTES = 160

#: errors that mean the path itself is wrong (exit code 2 in the CLI); other errors (no space,
#: quota, I/O) are failures of the write (exit code 1)
PATH_ERRORS = frozenset(
    {
        errno.ENOENT,
        errno.ENOTDIR,
        errno.EISDIR,
        errno.EEXIST,
        errno.ENAMETOOLONG,
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.ELOOP,
        errno.EINVAL,
    }
)


class OutputError(OSError):
    """Writing an output file failed. The message names the file and the reason in words
    (``cannot write out/briefing.xlsx: no space left on device; nothing was written``);
    ``errno`` and ``filename`` are those of the error, ``usage`` says whether the path
    itself is wrong (as opposed to the disk or the system failing). ``others`` counts further
    files of the same all-or-none group that were not written either."""

    def __init__(self, target: Path, cause: OSError, *, others: int = 0) -> None:
        code = cause.errno if cause.errno is not None else 0
        super().__init__(code, _reason(target, cause), str(target))
        self.target = target
        also = f" (nor {others} other file{'s' if others != 1 else ''})" if others else ""
        self.message = f"cannot write {target}: {self.strerror}; nothing was written{also}"
        if _is_file(target):
            self.message += "; the existing file is unchanged"

    @property
    def usage(self) -> bool:
        return self.errno in PATH_ERRORS

    def __str__(self) -> str:
        return self.message


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # e.g. a name too long to look up
        return False


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def _exists(path: Path) -> bool:
    try:
        return path.exists() or path.is_symlink()
    except OSError:
        return False


def _reason(target: Path, cause: OSError) -> str:
    code = cause.errno
    if code in (errno.EEXIST, errno.ENOTDIR):
        blocker = _blocking_file(target)
        if blocker is not None:
            return f"{blocker} is a file, not a directory"
    if code in (errno.EISDIR, errno.EEXIST) and _is_dir(target):
        return f"{target} is a directory (give a file name inside it)"
    if code == errno.ENAMETOOLONG:
        return f"the file name is too long ({len(os.fsencode(target.name))} bytes)"
    if code in (errno.EACCES, errno.EPERM):
        return f"permission denied in {target.parent}"
    if code == errno.EROFS:
        return f"{target.parent} is on a read-only file system"
    if code == errno.ENOSPC:
        return "no space left on device"
    if code == errno.EDQUOT:
        return "disk quota exceeded"
    return (cause.strerror or str(cause) or type(cause).__name__).lower()


def _blocking_file(target: Path) -> Path | None:
    """The nearest existing ancestor of ``target`` when it is not a directory."""
    for parent in (target.parent, *target.parent.parents):
        if _exists(parent):
            return None if _is_dir(parent) else parent
    return None


def _os_error(exc: BaseException) -> OSError | None:
    """The OS error behind ``exc``: itself, its first argument (XlsxWriter wraps them so) or
    its explicit cause; ``None`` for anything else (interrupts included)."""
    current: BaseException | None = exc
    for _ in range(8):
        if current is None or not isinstance(current, Exception):
            return None
        if isinstance(current, OSError):
            return current
        if current.args and isinstance(current.args[0], OSError):
            return current.args[0]
        current = current.__cause__
    return None


# --- temporary names -------------------------------------------------------------------------


def _stem(target: Path) -> str:
    stem = target.name
    while len(os.fsencode(stem)) > _STEM_BYTES:
        stem = stem[:-1]
    return stem


def _temp_pattern(target: Path) -> re.Pattern[str]:
    """Temporary files and scratch directories of ``target``: ``.NAME.PID-<random>.tmp`` (and
    ``.tmpdir``), and ``.NAME.<random>.tmp`` as earlier versions named them."""
    return re.compile(
        rf"^\.{re.escape(_stem(target))}\.(?:(\d+)-)?[a-z0-9_]{{8}}"
        rf"(?:{re.escape(TEMP_SUFFIX)}|{re.escape(SCRATCH_SUFFIX)})$"
    )


def _prefix(target: Path) -> str:
    return f".{_stem(target)}.{os.getpid()}-"


def _alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # never guess on Windows: keep the file
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


def remove_stale_temps(target: str | os.PathLike[str]) -> list[Path]:
    """Remove temporary files and scratch directories that earlier, killed runs left beside
    ``target`` (their process is gone); returns what was removed. Only names of the form
    bhrscore gives its own temporary files are considered."""
    target = Path(target)
    pattern = _temp_pattern(target)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    for entry in entries:
        match = pattern.match(entry.name)
        if match is None or (match.group(1) is not None and _alive(int(match.group(1)))):
            continue
        path = Path(entry.path)
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path)
                removed.append(path)
            elif entry.is_file(follow_symlinks=False):
                path.unlink()
                removed.append(path)
    return removed


# --- checks ----------------------------------------------------------------------------------


def _name_max(directory: Path) -> int:
    try:
        return int(os.pathconf(directory, "PC_NAME_MAX"))
    except (AttributeError, OSError, ValueError):  # no pathconf (Windows) or no answer
        return 255


def check_output_path(target: str | os.PathLike[str]) -> Path:
    """Fail early, before any work, when ``target`` cannot be written: a directory by that
    name, an ancestor that is a file, a name longer than the file system allows, or a
    directory the process may not write to (as far as ``os.access`` can tell). Raises
    :class:`OutputError`; returns the target."""
    target = Path(target)
    problem: OSError | None = None
    existing = next((p for p in (target.parent, *target.parent.parents) if _exists(p)), None)
    if _blocking_file(target) is not None:
        problem = NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(target))
    elif existing is not None and len(os.fsencode(target.name)) > _name_max(existing):
        problem = OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG), str(target))
    elif _is_dir(target):
        problem = IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(target))
    elif existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        problem = PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(existing))
    if problem is not None:
        raise OutputError(target, problem)
    return target


# --- atomic writing --------------------------------------------------------------------------


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _new_temp(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    if len(os.fsencode(target.name)) > _name_max(target.parent):
        raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG), str(target))
    remove_stale_temps(target)
    fd, name = tempfile.mkstemp(prefix=_prefix(target), suffix=TEMP_SUFFIX, dir=target.parent)
    os.close(fd)
    return Path(name)


def _output_error(error: OSError, targets: Sequence[Path], temps: Sequence[Path]) -> OutputError:
    """An :class:`OutputError` about the target the failed operation concerned (found by the
    file name in the error; while temporary files are made, the one being made)."""
    name = None if error.filename is None else str(error.filename)
    for target, temp in zip(targets, temps, strict=False):
        if name in (str(target), str(temp)):
            return OutputError(target, error, others=len(targets) - 1)
    if len(temps) < len(targets):
        return OutputError(targets[len(temps)], error, others=len(targets) - 1)
    return OutputError(targets[0], error, others=len(targets) - 1)


@contextlib.contextmanager
def atomic_paths(targets: Sequence[str | os.PathLike[str]]) -> Iterator[list[Path]]:
    """Yield one temporary path beside each target; when the block succeeds they replace the
    targets (renamed in the order given), on any error they are all removed and no target is
    touched. An OS error (the block's too) becomes an :class:`OutputError` naming the target.
    Files that belong together (a score card's tables, a workbook and its companion) are
    written all or none."""
    paths = [Path(t) for t in targets]
    temps: list[Path] = []
    try:
        for target in paths:
            temps.append(_new_temp(target))
        yield temps
        mode = 0o666 & ~_umask()
        for temp in temps:
            os.chmod(temp, mode)
        for temp, target in zip(temps, paths, strict=True):
            os.replace(temp, target)
    except BaseException as exc:
        for temp in temps:
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)
        error = _os_error(exc)
        if error is None or isinstance(exc, OutputError) or not paths:
            raise
        raise _output_error(error, paths, temps) from exc


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` in one
    rename, on any error it is removed. A crash never leaves a half-written file behind."""
    with atomic_paths([target]) as [temp]:
        yield temp


@contextlib.contextmanager
def scratch_dir(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A private directory beside ``target`` for a writer's own temporary files (removed with
    everything in it at the end, whatever happens)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=_prefix(target), suffix=SCRATCH_SUFFIX, dir=target.parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def atomic_write_text(target: str | os.PathLike[str], text: str) -> None:
    """Write text (UTF-8, ``\\n`` line ends) atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")


def atomic_write_bytes(target: str | os.PathLike[str], data: bytes) -> None:
    """Write bytes atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
