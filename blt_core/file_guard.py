"""Reading weight files without trusting the folder: regular files only, inside one root, bounded in bytes and time.

An official weights folder is put on disk by an operator, but a hosted app must not let a bad
link or a special file in it read the server's secrets (/proc/self/environ, /etc/shadow), stall
a thread for good (a FIFO with no writer, /proc/kmsg) or fill memory (/dev/zero, a huge file).
`FileGuard` is the one gate every read of such a folder goes through:

- the path is resolved (os.path.realpath) and must lie inside `root`, so no symlink leads out;
- it is opened with O_NOFOLLOW | O_NONBLOCK (a FIFO never blocks the open) and must be a
  regular file by fstat (FIFOs, devices, sockets and directories are refused);
- at most `st_size` bytes are read, and `st_size` must not exceed the cap, so /proc-like files
  (size 0) read as empty and /dev/zero is refused before a byte is read;
- every read checks one deadline shared by all of a folder's files.

Errors are WeightsError naming the file by its name inside the folder (`label/name`), never
the server path, so a page may show them as they are.

>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> _ = (root / "params.json").write_text('{"dim": 64}')
>>> FileGuard(root, root=root, label="tiny").read_bytes(root / "params.json", max_bytes=100)
b'{"dim": 64}'
>>> FileGuard(root, root=root, label="tiny").read_bytes(root / "params.json", max_bytes=4)
Traceback (most recent call last):
blt_core.checkpoints.WeightsError: file too large: tiny/params.json is 11 bytes; the cap is 4 bytes
"""

from __future__ import annotations

import io
import os
import stat
import time
from pathlib import Path

from blt_core.checkpoints import WeightsError

# 1 GiB per file: the official entropy model (about 100M parameters) is about 400 MB in float32, so
# this leaves room for its largest release and refuses anything an order of magnitude bigger.
MAX_FILE_BYTES = 1 << 30
MAX_JSON_BYTES = 1 << 20  # params.json, config.json, an index: a few KB in every release
LOAD_SECONDS = 120.0  # all of one folder's reads: 400 MB from a slow disk takes well under a minute
_CHUNK = 64 << 20  # bytes per read call, so the deadline is checked at least every 64 MB

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))


def kind_of(mode: int) -> str:
    """What a non-regular file is, in words: stat.S_IFIFO -> 'a FIFO (named pipe)'.

    >>> kind_of(stat.S_IFCHR), kind_of(stat.S_IFDIR)
    ('a device', 'a directory')
    """
    return next((words for test, words in _KINDS if test(mode)), "not a regular file")


def within(path: str, root: str) -> bool:
    """Whether resolved `path` is `root` or lies below it (both already real paths).

    >>> within("/srv/w/blt", "/srv/w"), within("/srv/wx", "/srv/w"), within("/etc", "/srv/w")
    (True, False, False)
    """
    return path == root or os.path.commonpath([path, root]) == root


class GuardedFile(io.RawIOBase):
    """A read-only regular file that ends at its fstat size, reads at most `budget` bytes in all,
    and checks the guard's deadline on every read."""

    def __init__(self, fd: int, size: int, name: str, deadline: float, budget: int):
        super().__init__()
        self._fd, self._size, self._name, self._deadline, self._budget = fd, size, name, deadline, budget
        self._pos = self._read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if time.monotonic() > self._deadline:
            raise WeightsError(f"loading timed out while reading {self._name} (limit {LOAD_SECONDS:.0f} s)")
        view = memoryview(buffer).cast("B")
        want = max(0, min(len(view), self._size - self._pos, _CHUNK))
        if self._read + want > self._budget:
            raise WeightsError(f"file too large: reading {self._name} takes more than the cap of {self._budget:,} bytes")
        n = os.preadv(self._fd, [view[:want]], self._pos)
        self._pos += n
        self._read += n
        return n

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()


class FileGuard:
    """The gate for one folder's reads: containment in `root` (None: any place), size caps, one deadline.

    `label` names the folder in messages (a page passes the name a visitor chose; the CLI the
    path it was given).
    """

    def __init__(self, folder: str | os.PathLike, *, root: str | os.PathLike | None = None, label: str | None = None,
                 seconds: float = LOAD_SECONDS):
        self.folder = Path(folder)
        self.root = None if root is None else os.path.realpath(root)
        self.label = label if label is not None else str(folder)
        self.deadline = time.monotonic() + seconds

    def name(self, path: str | os.PathLike) -> str:
        """How messages name `path`: the label and the path below the folder (never the server path)."""
        return f"{self.label}/{Path(os.path.relpath(path, self.folder)).as_posix()}"

    def check(self, path: str | os.PathLike) -> str:
        """The real path of `path`; WeightsError when it leads outside the root."""
        real = os.path.realpath(path)
        if self.root is not None and not within(real, self.root):
            raise WeightsError(f"{self.name(path)} points outside the allowed weights folder")
        return real

    def open(self, path: str | os.PathLike, *, max_bytes: int = MAX_FILE_BYTES, whole: bool = True) -> io.BufferedReader:
        """A buffered reader over `path` after every check (inside root, a regular file).

        whole=True refuses a file larger than max_bytes before reading; whole=False (a
        safetensors file of which only some tensors are read) lets reading stop at max_bytes.
        """
        real = self.check(path)
        try:
            fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            raise WeightsError(f"{self.name(path)} is missing") from None
        except OSError as e:
            raise WeightsError(f"cannot open {self.name(path)}: {e.strerror or type(e).__name__}") from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise WeightsError(f"{self.name(path)} is {kind_of(st.st_mode)}, not a regular file")
            if whole and st.st_size > max_bytes:
                raise WeightsError(f"file too large: {self.name(path)} is {st.st_size:,} bytes; "
                                   f"the cap is {max_bytes:,} bytes")
        except BaseException:
            os.close(fd)
            raise
        return io.BufferedReader(GuardedFile(fd, st.st_size, self.name(path), self.deadline, max_bytes),
                                 buffer_size=1 << 20)

    def read_bytes(self, path: str | os.PathLike, *, max_bytes: int = MAX_FILE_BYTES) -> bytes:
        """All of `path`'s bytes after the checks of `open`."""
        with self.open(path, max_bytes=max_bytes) as f:
            return f.read()
