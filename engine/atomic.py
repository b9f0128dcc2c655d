"""Writing a file without harming what is at its path.

Every file the program writes (the command line's ``-o``, the window's session
saves, autosaves and exports) goes through :class:`AtomicFile`.  What it does
depends on what is at the path (:func:`plan`):

* nothing: the file is written under a temporary name beside it and moved into
  place, so that a reader sees no file or the whole file;
* an ordinary file: the same, and the new file keeps the old one's mode and,
  where the system lets us, its owner and group.  A file we may not write to is
  refused, as a shell's ``>`` would refuse it, rather than replaced;
* an ordinary file with other names (hard links): the whole new file is written
  under the temporary name first, then copied into the file itself, so every
  name shows the new contents; one we may not write to is refused, saying why;
* a symbolic link: followed; the file it points at is handled as above and the
  link stays a link;
* anything else (a character or block device, a named pipe, a socket) and the
  program's own open descriptors (``/dev/stdout``, ``/dev/fd/N``): written into
  directly, never replaced.  Such a write cannot be taken back.

The temporary file is named ``.~<name>.<host>.<pid>.<random>.part`` beside the
real file (see :func:`part_name`).  A process killed while writing leaves it
behind; it is *stale* once the process that made it has ended on this host,
which is what :func:`clean_stale_parts` removes (and what a new write of the
same file removes beside it).  A part of a process still running, or made on
another host (a shared folder), is never touched.
"""

import errno
import hashlib
import os
import platform
import re
import secrets
import stat
import time
from collections import namedtuple
from collections.abc import Iterator

PREFIX, SUFFIX = ".~", ".part"
NEW, REPLACE, IN_PLACE, DIRECT = "new", "replace", "in place", "direct"
READER_WAIT = 2.0     # seconds a named pipe is given for its reader to open it
_POLL = 0.01          # seconds between two tries to open a pipe that has no reader yet
_NAME_MAX = 255       # bytes in a file name on the systems we know (ext4, APFS, NTFS, tmpfs)
# A part's tail: ".<8 hex>.<pid, at most 10 digits>.<8 hex>.part"; the target's name
# is shortened to what leaves room for the longest tail, so a part is always creatable.
_NAME_ROOM = _NAME_MAX - len(PREFIX) - len(".01234567.0123456789.01234567" + SUFFIX)
_PART = re.compile(r"\.~(?P<name>.*)\.(?P<host>[0-9a-f]{8})\.(?P<pid>[1-9][0-9]{0,9})\.[0-9a-f]{8}\.part",
                   re.DOTALL)
_FD_FOLDER = re.compile(r"/proc/(?:self|thread-self|(?P<pid>[0-9]+))(?:/task/[0-9]+)?/fd")
_COPY = 1 << 20

# The pid in a part's name says something only on the host that made it.
HOST = hashlib.sha1(platform.node().encode("utf-8", "surrogatepass")).hexdigest()[:8]

Plan = namedtuple("Plan", "kind target status descriptor")
Plan.__doc__ = """How a path is written: ``kind`` is NEW, REPLACE, IN_PLACE or DIRECT;
``target`` the path that is opened or replaced (symbolic links resolved, except
for DIRECT); ``status`` the ``os.stat`` of what is there (None for NEW);
``descriptor`` this process's own descriptor the path names (``/dev/stdout``), or None."""


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fit(name):
    """``name`` shortened to leave room for a part's tail in a file name."""
    while len(os.fsencode(name)) > _NAME_ROOM:
        name = name[:-1]
    return name


def part_name(name, pid=None, host=None):
    """The name of a temporary file for the file called ``name`` (a name, not a
    path), made by process ``pid`` (this one by default) on ``host`` (a tag of
    8 hex digits, :data:`HOST` by default)."""
    pid = os.getpid() if pid is None else pid
    return f"{PREFIX}{_fit(name)}.{host or HOST}.{pid}.{secrets.token_hex(4)}{SUFFIX}"


def _alive(pid):
    if os.name == "nt":   # os.kill there ends the process: never ask
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):   # another user's process, or no pid we could have had
        return True
    return True


def is_stale(entry_name, name=None):
    """Whether ``entry_name`` is a part this program made on this host, for the
    file called ``name`` (any file if None), whose process has ended."""
    found = _PART.fullmatch(entry_name)
    if found is None or found["host"] != HOST:
        return False
    if name is not None and found["name"] != _fit(os.fspath(name)):
        return False
    return not _alive(int(found["pid"]))


def clean_stale_parts(folder, name=None):
    """Remove the stale parts (:func:`is_stale`) in ``folder``, of the file called
    ``name`` or of any file; returns the paths removed.  Anything else there,
    parts of running processes included, is left alone; errors are ignored
    (a part that cannot be removed is only clutter)."""
    removed = []
    try:
        with os.scandir(folder) as listing:
            entries = [e for e in listing if is_stale(e.name, name)]
    except OSError:
        return removed
    for entry in entries:
        try:
            if not entry.is_file(follow_symlinks=False):   # we only ever make files
                continue
            os.unlink(entry.path)
        except OSError:
            continue
        removed.append(entry.path)
    return removed


def _descriptor(path):
    """``(pid, fd)`` when ``path`` names an open descriptor through ``/proc/<pid>/fd``
    (``/dev/stdout`` and ``/dev/fd/N`` lead there), else None."""
    current = os.path.abspath(path)
    for _ in range(40):   # as many links as the system itself follows
        head, tail = os.path.split(current)
        folder = os.path.realpath(head)
        found = _FD_FOLDER.fullmatch(folder)
        if found and tail.isascii() and tail.isdigit():
            return int(found["pid"]) if found["pid"] else os.getpid(), int(tail)
        link = os.path.join(folder, tail)
        if not os.path.islink(link):
            return None
        current = os.path.join(folder, os.readlink(link))
    return None


def plan(path):
    """How ``path`` is to be written (:class:`Plan`); only looks, never opens.
    Raises IsADirectoryError for a folder and OSError for a path that cannot
    be looked at (a loop of links, a file used as a folder)."""
    path = os.fspath(path)
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return Plan(NEW, os.path.realpath(path), None, None)
    if stat.S_ISDIR(status.st_mode):
        raise IsADirectoryError(errno.EISDIR, "Is a folder, not a file", path)
    descriptor = _descriptor(path)
    if descriptor is not None or not stat.S_ISREG(status.st_mode):
        own = descriptor is not None and descriptor[0] == os.getpid()
        return Plan(DIRECT, path, status, descriptor[1] if own else None)
    return Plan(IN_PLACE if status.st_nlink > 1 else REPLACE, os.path.realpath(path), status, None)


def _may_write(path):
    return os.access(path, os.W_OK, effective_ids=os.access in os.supports_effective_ids)


def _open_direct(where, reader_wait):
    """A descriptor for writing into ``where`` (a DIRECT plan) without replacing it."""
    if where.descriptor is not None:
        # The same open file as the descriptor: its offset and its append mode are kept,
        # as with a shell's redirection; reopening it could truncate a log or fail (a socket).
        return os.dup(where.descriptor)
    mode = where.status.st_mode
    if stat.S_ISSOCK(mode):
        raise OSError(errno.ENXIO, "Is a socket, which only a connected program can send to, "
                                   "not a file", where.target)
    flags = os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_NONBLOCK", 0)
    if stat.S_ISREG(mode):   # another process's descriptor: written as a shell's ">" would
        flags |= os.O_TRUNC
    deadline = time.monotonic() + reader_wait
    while True:
        try:
            fd = os.open(where.target, flags)
            break
        except OSError as error:
            # A pipe without a reader refuses a non-blocking open (ENXIO); a blocking one
            # would wait for ever.  The reader may be a moment late (``cat pipe &``).
            if error.errno != errno.ENXIO or not stat.S_ISFIFO(mode):
                raise
            if time.monotonic() >= deadline:
                raise OSError(errno.ENXIO, "Is a named pipe that no program is reading from",
                              where.target) from None
            time.sleep(_POLL)
    try:
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)   # a full pipe is then waited on, not an error
    except BaseException:
        os.close(fd)
        raise
    return fd


def _fsync_folder(folder):
    """Make a rename in ``folder`` survive a power cut, where the system allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class AtomicFile:
    """A text file (UTF-8, newlines as written) for ``path``: write to
    :attr:`stream`, then :meth:`commit` or :meth:`abort`.

    For an ordinary or new file, ``path`` holds either its old contents or the
    whole new file, even if the process is killed.  What is done for each kind
    of path is in the module's description; :attr:`plan` says which it is.
    ``reader_wait`` is how many seconds a named pipe is given for a reader."""

    def __init__(self, path, reader_wait=READER_WAIT):
        self.path = os.fspath(path)
        self.plan = plan(self.path)
        self._temp = None
        if self.plan.kind == DIRECT:
            fd = _open_direct(self.plan, reader_wait)
        else:
            fd = self._make_part()
        try:
            self.stream = os.fdopen(fd, "w", encoding="utf-8", newline="")
        except BaseException:
            os.close(fd)
            self._remove_part()
            raise

    def _make_part(self):
        target, status = self.plan.target, self.plan.status
        if status is not None and not _may_write(target):
            if self.plan.kind == IN_PLACE:
                reason = (f"It has {status.st_nlink} names (hard links); to keep them it would be "
                          "written in place, and this user may not write to it")
            else:
                reason = "This user may not write to it, so it is not replaced"
            raise PermissionError(errno.EACCES, reason, target)
        folder, name = os.path.split(target)
        clean_stale_parts(folder or os.curdir, name)
        for _ in range(100):
            temp = os.path.join(folder, part_name(name))
            try:
                # 0600 until the mode is known: a private file's contents are never readable by others.
                fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
                break
            except FileExistsError:
                continue
        else:
            raise FileExistsError(errno.EEXIST, "No free temporary name beside the file", target)
        self._temp = temp
        try:
            if status is None:
                os.fchmod(fd, 0o666 & ~_umask())   # as any new file of this user
            elif self.plan.kind == REPLACE:
                self._keep_owner(fd, status)
                os.fchmod(fd, stat.S_IMODE(status.st_mode))   # after fchown, which may clear set-id bits
        except BaseException:
            os.close(fd)
            self._remove_part()
            raise
        return fd

    @staticmethod
    def _keep_owner(fd, status):
        mine = os.fstat(fd)
        if (mine.st_uid, mine.st_gid) == (status.st_uid, status.st_gid) or not hasattr(os, "fchown"):
            return
        for uid in (status.st_uid, -1):   # the group alone where the owner may not be given
            try:
                os.fchown(fd, uid, status.st_gid)
                return
            except PermissionError:
                continue

    def _remove_part(self):
        if self._temp is not None:
            try:
                os.unlink(self._temp)
            except FileNotFoundError:
                pass

    def commit(self):
        try:
            self.stream.flush()
            if self.plan.kind != DIRECT:
                os.fsync(self.stream.fileno())
            self.stream.close()
            if self.plan.kind == DIRECT:
                return
            if self.plan.kind == IN_PLACE:
                self._copy_in_place()
            else:
                os.replace(self._temp, self.plan.target)
                self._temp = None
                _fsync_folder(os.path.dirname(self.plan.target) or os.curdir)
        except BaseException:
            self.abort()
            raise

    def _copy_in_place(self):
        target, before = self.plan.target, self.plan.status
        try:
            fd = os.open(target, os.O_WRONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        except OSError as error:
            raise OSError(error.errno, f"It has {before.st_nlink} names (hard links), so it is written "
                                       f"in place, and could not be opened for that: {error.strerror}",
                          target) from None
        try:
            now = os.fstat(fd)
            if (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino) or not stat.S_ISREG(now.st_mode):
                raise OSError(errno.EBUSY, "It was replaced by something else while it was being "
                                           "written, and is left as it is now", target)
            try:
                with open(self._temp, "rb") as source:
                    size = 0
                    while piece := source.read(_COPY):
                        view = memoryview(piece)
                        while view:
                            view = view[os.write(fd, view):]
                        size += len(piece)
                os.ftruncate(fd, size)
                os.fsync(fd)
            except OSError as error:
                # The file is now part old, part new: the whole new one is kept for the user.
                kept, self._temp = self._temp, None
                raise OSError(error.errno, f"Writing it in place failed ({error.strerror}); the whole "
                                           f"new file is in {kept}", target) from None
        finally:
            os.close(fd)
        self._remove_part()
        self._temp = None

    def abort(self):
        """Forget what was written: a new or ordinary file stays as it was (what
        went into a device or a pipe has gone)."""
        try:
            self.stream.close()
        except OSError:   # a pipe whose reader left: nothing more can be done for it
            pass
        self._remove_part()
        self._temp = None


def write_atomically(path, write, **options):
    """Call ``write(stream)`` on an :class:`AtomicFile` for ``path`` (running
    it to the end if it is a writer that yields between pieces, such as
    :func:`engine.csvio.history_chunks`).  On any error a new or ordinary file
    at ``path`` is left as it was."""
    target = AtomicFile(path, **options)
    try:
        pieces = write(target.stream)
        if isinstance(pieces, Iterator):
            for _ in pieces:
                pass
    except BaseException:
        target.abort()
        raise
    target.commit()
