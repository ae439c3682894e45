"""Finding the c2s binary and running it.

Every function of the package ends in :func:`run`: it starts the binary with an explicit
argument list, streams its stderr (progress lines) to the caller while it runs, and turns a
non-zero exit into :class:`C2SError` carrying c2s's own message and exit code.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections import deque
from pathlib import Path
from typing import Callable, Optional, Sequence, Union

__all__ = ["C2SError", "BinaryNotFoundError", "find_binary", "binary_version", "run"]

# Lines of stderr kept for an error message.
_STDERR_TAIL = 400

# Subcommands whose first argument is a subcommand too.
_GROUPS = {"evaluate", "report", "tokenizer", "lm"}

Progress = Union[bool, Callable[[str], None], None]


class C2SError(RuntimeError):
    """The c2s binary ended with a non-zero exit code.

    Attributes
    ----------
    message
        c2s's own error text (its ``error: ...`` lines, or the end of its stderr).
    returncode
        The binary's exit code (2: an input that cannot be read or used as given; 3: data that
        is readable but wrong for the task; 4: training diverged; 64: a bad command line; see
        the README's "Exit codes").
    command
        The command line that was run.
    stderr
        The end of what the binary wrote to stderr.
    """

    def __init__(self, message: str, returncode: int, command: Sequence[str], stderr: str = ""):
        self.message = message
        self.returncode = returncode
        self.command = list(command)
        self.stderr = stderr
        words = [str(a) for a in self.command[1:3]]
        sub = " ".join(words[:2] if words and words[0] in _GROUPS else words[:1])
        super().__init__(f"c2s {sub} failed (exit code {returncode}): {message}")


class BinaryNotFoundError(FileNotFoundError):
    """No c2s binary was found (see :func:`find_binary` for where it is looked for)."""


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _repository_binary() -> Optional[Path]:
    """``<repo>/.build/release/c2s`` when this package is used from the repository."""
    here = Path(__file__).resolve().parent
    for parent in [here, *here.parents]:
        if (parent / "Package.swift").is_file() and (parent / "python" / "pyproject.toml").is_file():
            return parent / ".build" / "release" / "c2s"
    return None


def find_binary() -> Path:
    """The c2s binary this package runs.

    Looked for, in order: the ``C2S_BIN`` environment variable; ``c2s/bin/c2s`` beside the
    package (a binary shipped in the wheel); ``c2s`` on ``PATH``; ``.build/release/c2s`` of
    the repository when the package is used from a checkout of it.

    Raises
    ------
    BinaryNotFoundError
        When none of these holds an executable, with how to build one.
    """
    env = os.environ.get("C2S_BIN")
    if env:
        path = Path(env).expanduser()
        if _executable(path):
            return path
        raise BinaryNotFoundError(
            f"C2S_BIN={env} is not an executable file; point it at a c2s binary "
            "(built with `make build` in the c2s repository: .build/release/c2s)")
    beside = Path(__file__).resolve().parent / "bin" / "c2s"
    if _executable(beside):
        return beside
    on_path = shutil.which("c2s")
    if on_path:
        return Path(on_path)
    repo = _repository_binary()
    if repo is not None and _executable(repo):
        return repo
    hint = f" (looked for {repo})" if repo is not None else ""
    raise BinaryNotFoundError(
        "c2s binary not found: set C2S_BIN=/path/to/c2s, put c2s on PATH, or build it with "
        f"`make build` in the c2s repository, which writes .build/release/c2s{hint}")


def binary_version() -> str:
    """The version the binary prints (``c2s --version``)."""
    return run(["--version"], progress=False).strip()


def _error_message(lines: Sequence[str]) -> str:
    errors = [l for l in lines if l.startswith("error:") or l.startswith("Error:")]
    if errors:
        return "\n".join(e.split(":", 1)[1].strip() for e in errors)
    tail = [l for l in lines if l.strip()][-20:]
    return "\n".join(tail) if tail else "(no message on stderr)"


def _emit(progress: Progress, line: str) -> None:
    if callable(progress):
        progress(line)
    elif progress:
        # In Jupyter, sys.stderr is the kernel's stream: the lines appear under the cell.
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


def run(args: Sequence[Union[str, os.PathLike]], *, progress: Progress = False,
        cwd: Optional[Union[str, os.PathLike]] = None) -> str:
    """Run ``c2s ARGS`` and return its standard output.

    Parameters
    ----------
    args
        The arguments after ``c2s``, e.g. ``["inspect", "sentences"]``.
    progress
        ``True``: forward each line the binary writes to stderr (progress lines, summaries)
        to ``sys.stderr`` while it runs; a callable: call it with each line instead;
        ``False``: keep them (they still make up the error message).
    cwd
        Working folder of the binary.

    Raises
    ------
    C2SError
        When the binary exits with a non-zero code.
    """
    command = [str(find_binary())] + [os.fspath(a) for a in args]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, cwd=cwd)
    out_chunks: list = []
    reader = threading.Thread(target=lambda: out_chunks.append(proc.stdout.read()), daemon=True)
    reader.start()
    tail: deque = deque(maxlen=_STDERR_TAIL)
    try:
        for raw in iter(proc.stderr.readline, b""):
            # A terminal bar redraws with \r; keep the last state of such a line.
            line = raw.decode("utf-8", "replace").rstrip("\n").split("\r")[-1]
            tail.append(line)
            _emit(progress, line)
        returncode = proc.wait()
    except BaseException:
        # KeyboardInterrupt in a notebook: stop the binary too (SIGINT, as Ctrl-C in a shell
        # would; killed if it has not ended 10 s later), then re-raise.
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        raise
    finally:
        reader.join()
        proc.stdout.close()
        proc.stderr.close()
    stdout = b"".join(c for c in out_chunks if c).decode("utf-8", "replace")
    if returncode != 0:
        lines = list(tail)
        raise C2SError(_error_message(lines), returncode, command, "\n".join(lines))
    return stdout
