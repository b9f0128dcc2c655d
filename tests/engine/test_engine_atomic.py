"""Writing a file does not harm what is at its path (issue 11).

Each case is an attack the old writer fell to: it wrote a temporary file and
renamed it over the path, whatever the path was.  The writes here go through
``csvio.write_atomically`` and ``csvio.AtomicFile``, the names every caller
uses.  Nothing here writes to the real ``/dev``: the devices written are a
named pipe in tmp_path, this process's own pipes, and (as root) a device node
in tmp_path for the null and full memory devices."""

import errno
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
from pathlib import Path

import pytest

from engine import atomic, csvio

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 60        # seconds a child process or a reader thread may take
ROOT_ONLY = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                               reason="only root can give a file to another user or make a device node")
POSIX = pytest.mark.skipif(os.name != "posix", reason="named pipes, links and signals as on POSIX")
PROC_FD = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="no /proc/self/fd here")

pytestmark = POSIX


def _parts(folder):
    return sorted(n for n in os.listdir(folder) if n.startswith(".~") and n.endswith(".part"))


def _text(size=200_000):
    """CSV-like text of ``size`` characters or so, more than a pipe holds."""
    line = "step,W1,loss,∂L/∂W1\n"
    return line * (size // len(line) + 1)


# --- named pipes -----------------------------------------------------------------------

def test_a_named_pipe_is_written_into_and_stays_a_pipe(tmp_path):
    pipe = tmp_path / "out.csv"
    os.mkfifo(pipe)
    got = []
    # The reader comes a moment after the writer has begun, as with "cat pipe &".
    reader = threading.Thread(target=lambda: got.append(pipe.read_bytes()), daemon=True)
    reader.start()
    text = _text()
    csvio.write_atomically(pipe, lambda s: s.write(text), reader_wait=DEADLINE)
    reader.join(DEADLINE)
    assert got == [text.encode("utf-8")]
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    assert _parts(tmp_path) == []


def test_a_named_pipe_without_a_reader_is_refused_saying_so(tmp_path):
    pipe = tmp_path / "out.csv"
    os.mkfifo(pipe)
    with pytest.raises(OSError) as refused:
        csvio.write_atomically(pipe, lambda s: s.write("a\n"), reader_wait=0)
    assert refused.value.errno == errno.ENXIO
    assert "no program is reading" in refused.value.strerror
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    assert os.listdir(tmp_path) == ["out.csv"]


def test_a_socket_is_refused_and_stays_a_socket(tmp_path):
    path = tmp_path / "s"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        with pytest.raises(OSError, match="socket"):
            csvio.write_atomically(path, lambda s: s.write("a\n"))
        assert stat.S_ISSOCK(os.lstat(path).st_mode)
        assert os.listdir(tmp_path) == ["s"]
    finally:
        server.close()


# --- links -----------------------------------------------------------------------------

def test_a_symlink_stays_a_link_and_its_file_gets_the_contents(tmp_path):
    (tmp_path / "notes.txt").write_text("old notes\n", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to("notes.txt")
    csvio.write_atomically(link, lambda s: s.write("new,∂\n"))
    assert link.is_symlink() and os.readlink(link) == "notes.txt"
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "new,∂\n"
    assert sorted(os.listdir(tmp_path)) == ["link.csv", "notes.txt"]


def test_a_chain_of_links_into_another_folder_writes_beside_the_real_file(tmp_path):
    real_folder, link_folder = tmp_path / "real", tmp_path / "links"
    real_folder.mkdir()
    link_folder.mkdir()
    real = real_folder / "data.csv"
    real.write_text("old\n", encoding="utf-8")
    (link_folder / "b.csv").symlink_to(real)
    (link_folder / "a.csv").symlink_to("b.csv")
    target = csvio.AtomicFile(link_folder / "a.csv")
    target.stream.write("new\n")
    # The temporary file is beside the file it will replace: a rename cannot cross folders' disks.
    assert len(_parts(real_folder)) == 1 and _parts(link_folder) == []
    target.commit()
    assert (link_folder / "a.csv").is_symlink() and (link_folder / "b.csv").is_symlink()
    assert real.read_text(encoding="utf-8") == "new\n"
    assert _parts(real_folder) == []


def test_a_dangling_symlink_gets_its_file_made(tmp_path):
    link = tmp_path / "link.csv"
    link.symlink_to("made.csv")
    csvio.write_atomically(link, lambda s: s.write("a\n"))
    assert link.is_symlink()
    assert (tmp_path / "made.csv").read_text(encoding="utf-8") == "a\n"


def test_a_hard_linked_file_keeps_its_links(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("old contents that are longer than the new ones\n", encoding="utf-8")
    os.link(first, second)
    inode = first.stat().st_ino
    target = csvio.AtomicFile(first)
    target.stream.write("new\n")
    target.stream.flush()
    # The whole new file is written aside before the file itself is touched.
    assert first.read_text(encoding="utf-8").startswith("old")
    assert len(_parts(tmp_path)) == 1
    target.commit()
    for name in (first, second):
        assert name.read_text(encoding="utf-8") == "new\n"
        assert name.stat().st_ino == inode and name.stat().st_nlink == 2
    assert _parts(tmp_path) == []


def test_a_failed_write_of_a_hard_linked_file_leaves_it_whole(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("old\n", encoding="utf-8")
    os.link(first, second)

    def failing(stream):
        stream.write("partial\n" * 1000)
        raise RuntimeError("midway")

    with pytest.raises(RuntimeError):
        csvio.write_atomically(first, failing)
    assert second.read_text(encoding="utf-8") == "old\n" and second.stat().st_nlink == 2
    assert _parts(tmp_path) == []


def _refuse_writing(monkeypatch, path):
    """Make ``path`` read-only; as root (who may write anyway), answer as the
    system would answer anyone else."""
    os.chmod(path, 0o444)
    if os.geteuid() == 0:
        real = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if os.fspath(p) == os.fspath(path)
                            and mode & os.W_OK else real(p, mode, **kw))


def test_a_hard_linked_file_that_may_not_be_written_is_refused_saying_why(tmp_path, monkeypatch):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("old\n", encoding="utf-8")
    os.link(first, second)
    _refuse_writing(monkeypatch, first)
    with pytest.raises(PermissionError) as refused:
        csvio.write_atomically(first, lambda s: s.write("new\n"))
    assert "hard links" in refused.value.strerror
    assert first.read_text(encoding="utf-8") == "old\n" and first.stat().st_nlink == 2
    assert _parts(tmp_path) == []


def test_a_read_only_file_is_refused_not_replaced(tmp_path, monkeypatch):
    path = tmp_path / "kept.csv"
    path.write_text("old\n", encoding="utf-8")
    inode = path.stat().st_ino
    _refuse_writing(monkeypatch, path)
    with pytest.raises(PermissionError):
        csvio.write_atomically(path, lambda s: s.write("new\n"))
    assert path.read_text(encoding="utf-8") == "old\n" and path.stat().st_ino == inode
    assert _parts(tmp_path) == []


# --- mode and owner ----------------------------------------------------------------------

@pytest.mark.parametrize("mode", [0o600, 0o640, 0o755])
def test_an_existing_file_keeps_its_mode(tmp_path, mode):
    path = tmp_path / "kept.csv"
    path.write_text("old\n", encoding="utf-8")
    path.chmod(mode)
    mask = os.umask(0o022)
    try:
        target = csvio.AtomicFile(path)
        target.stream.write("new\n")
        # Never readable by more people while it is written than the file it replaces.
        (part,) = _parts(tmp_path)
        assert os.stat(tmp_path / part).st_mode & 0o777 == mode
        target.commit()
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o7777 == mode
    assert path.read_text(encoding="utf-8") == "new\n"


@ROOT_ONLY
def test_an_existing_file_keeps_its_owner(tmp_path):
    path = tmp_path / "theirs.csv"
    path.write_text("old\n", encoding="utf-8")
    os.chown(path, 12345, 23456)
    path.chmod(0o600)
    csvio.write_atomically(path, lambda s: s.write("new\n"))
    status = path.stat()
    assert (status.st_uid, status.st_gid, status.st_mode & 0o777) == (12345, 23456, 0o600)
    assert path.read_text(encoding="utf-8") == "new\n"


def _interpreter_for(user):
    """A Python that ``user`` may run (this one may sit in root's closed home)."""
    for candidate in (sys.executable, shutil.which("python3"), "/usr/bin/python3"):
        if not candidate:
            continue
        try:
            subprocess.run([candidate, "-c", "pass"], user=user, group=user, extra_groups=[],
                           cwd="/", capture_output=True, timeout=DEADLINE, check=True)
        except (OSError, subprocess.SubprocessError):
            continue
        return candidate
    pytest.skip(f"no Python that user {user} may run")


@ROOT_ONLY
def test_another_users_private_file_is_refused_for_an_ordinary_user():
    """The issue's case: a 0600 file of another user in a folder we may write."""
    nobody = 65534
    # Not tmp_path: pytest's folders are closed to other users.
    folder = Path(tempfile.mkdtemp(prefix="atomic-"))
    try:
        folder.chmod(0o755)
        work = folder / "work"
        work.mkdir()
        os.chown(work, nobody, nobody)
        path = work / "theirs.csv"
        path.write_text("theirs\n", encoding="utf-8")
        os.chown(path, 12345, 12345)
        path.chmod(0o600)
        code = textwrap.dedent("""
            import importlib.util, json, sys
            spec = importlib.util.spec_from_file_location("atomic", sys.argv[1])
            atomic = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(atomic)
            try:
                atomic.write_atomically(sys.argv[2], lambda s: s.write("ours\\n"))
                print(json.dumps("written"))
            except PermissionError as error:
                print(json.dumps(error.strerror))
        """)
        done = subprocess.run([_interpreter_for(nobody), "-c", code, str(ROOT / "engine" / "atomic.py"), str(path)],
                              cwd=folder, user=nobody, group=nobody, extra_groups=[],
                              capture_output=True, text=True, timeout=DEADLINE)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) != "written"
        status = path.stat()
        assert (status.st_uid, status.st_mode & 0o777) == (12345, 0o600)
        assert os.listdir(work) == ["theirs.csv"]
    finally:
        shutil.rmtree(folder)


def test_a_new_file_gets_the_users_ordinary_mode(tmp_path):
    mask = os.umask(0o027)
    try:
        csvio.write_atomically(tmp_path / "new.csv", lambda s: s.write("a\n"))
    finally:
        os.umask(mask)
    assert (tmp_path / "new.csv").stat().st_mode & 0o777 == 0o640


# --- devices and this process's own descriptors --------------------------------------------

def test_a_character_device_is_planned_as_a_direct_write():
    """/dev/null is only looked at (and opened to read, to show what it is): never written."""
    with open("/dev/null", "rb") as device:
        assert stat.S_ISCHR(os.fstat(device.fileno()).st_mode)
    assert atomic.plan("/dev/null").kind == atomic.DIRECT
    assert atomic.plan("/dev/null").target == "/dev/null"


def test_a_link_to_a_device_is_planned_as_a_direct_write_through_the_link(tmp_path):
    link = tmp_path / "out.csv"
    link.symlink_to("/dev/null")
    where = atomic.plan(link)
    assert where.kind == atomic.DIRECT and where.target == str(link)


@PROC_FD
def test_dev_stdout_is_planned_as_this_process_s_own_descriptor():
    where = atomic.plan("/dev/stdout")
    assert (where.kind, where.descriptor) == (atomic.DIRECT, 1)


def _device(tmp_path, name, minor):
    """A node in tmp_path for the memory device ``1:minor`` (null, full): harmless
    to write, and not the real /dev."""
    node = tmp_path / name
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, minor))
        os.close(os.open(node, os.O_WRONLY))
    except OSError as error:   # no CAP_MKNOD, or tmp_path on a "nodev" file system
        pytest.skip(f"cannot make and open a device node in tmp_path: {error}")
    return node


@ROOT_ONLY
def test_a_character_device_is_written_into_and_stays_a_device(tmp_path):
    null = _device(tmp_path, "null.csv", 3)
    csvio.write_atomically(null, lambda s: s.write(_text()))
    assert stat.S_ISCHR(os.lstat(null).st_mode) and os.lstat(null).st_rdev == os.makedev(1, 3)
    assert os.listdir(tmp_path) == ["null.csv"]


@ROOT_ONLY
def test_what_is_written_to_a_device_reaches_the_device(tmp_path):
    """/dev/full refuses every byte: the refusal shows the bytes went to it, not to a file beside it."""
    full = _device(tmp_path, "full.csv", 7)
    with pytest.raises(OSError) as refused:
        csvio.write_atomically(full, lambda s: s.write("a\n"))
    assert refused.value.errno == errno.ENOSPC
    assert stat.S_ISCHR(os.lstat(full).st_mode)
    assert os.listdir(tmp_path) == ["full.csv"]


@PROC_FD
def test_a_link_to_this_process_s_pipe_writes_into_the_pipe(tmp_path):
    """What /dev/stdout is: a link to /proc/self/fd/1."""
    read_end, write_end = os.pipe()
    try:
        link = tmp_path / "stdout"
        pointed = f"/proc/self/fd/{write_end}"
        link.symlink_to(pointed)
        csvio.write_atomically(link, lambda s: s.write("a,b\n"))
        os.close(write_end)
        write_end = None
        with os.fdopen(read_end, "rb") as pipe:
            read_end = None
            assert pipe.read() == b"a,b\n"
        assert link.is_symlink() and os.readlink(link) == pointed
        assert os.listdir(tmp_path) == ["stdout"]
    finally:
        for fd in (read_end, write_end):
            if fd is not None:
                os.close(fd)


@PROC_FD
def test_a_descriptor_open_for_appending_is_appended_to(tmp_path):
    """As ``-o /dev/stdout >> log.csv``: the open file is written, from where it stands."""
    log = tmp_path / "log.csv"
    log.write_text("first\n", encoding="utf-8")
    inode = log.stat().st_ino
    fd = os.open(log, os.O_WRONLY | os.O_APPEND)
    try:
        csvio.write_atomically(f"/dev/fd/{fd}", lambda s: s.write("second\n"))
    finally:
        os.close(fd)
    assert log.read_text(encoding="utf-8") == "first\nsecond\n"
    assert log.stat().st_ino == inode
    assert os.listdir(tmp_path) == ["log.csv"]


# --- other paths --------------------------------------------------------------------------

def test_a_folder_is_refused_before_anything_is_written(tmp_path):
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    calls = []
    with pytest.raises(IsADirectoryError):
        csvio.write_atomically(folder, calls.append)
    assert calls == [] and os.listdir(tmp_path) == ["folder.csv"]


def test_the_longest_file_name_can_be_written(tmp_path):
    path = tmp_path / ("é" * 127)   # 254 bytes: no room for a longer temporary name beside it
    path.write_text("old\n", encoding="utf-8")
    target = csvio.AtomicFile(path)
    target.stream.write("new\n")
    assert len(_parts(tmp_path)) == 1
    target.commit()
    assert path.read_text(encoding="utf-8") == "new\n" and os.listdir(tmp_path) == [path.name]


# --- parts left by killed writers ------------------------------------------------------------

HOLDER = textwrap.dedent("""
    import sys
    from engine import csvio
    target = csvio.AtomicFile(sys.argv[1])
    target.stream.write("a piece of a file\\n")
    target.stream.flush()
    print(target._temp, flush=True)
    sys.stdin.read()          # holds the part until killed or told to go
""")


def _holder(children, target):
    """A child process in the middle of writing ``target``, and its part's path."""
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(target)], cwd=ROOT, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    children.append(child)
    line = child.stdout.readline()
    assert line, child.stderr.read()
    return child, Path(line.strip())


def _killed_holder(children, target):
    child, part = _holder(children, target)
    child.kill()
    child.wait(timeout=DEADLINE)   # reaped: its pid no longer names a process (not even a zombie)
    return child.pid, part


@pytest.mark.skipif(not hasattr(os, "kill"), reason="no signals")
def test_a_killed_writers_part_is_removed_by_the_next_write_of_that_file(tmp_path, children):
    target = tmp_path / "out.csv"
    target.write_text("good\n", encoding="utf-8")
    dead, part = _killed_holder(children, target)
    assert part.parent == tmp_path and part.exists()
    assert target.read_text(encoding="utf-8") == "good\n"

    csvio.write_atomically(target, lambda s: s.write("next\n"))
    assert not part.exists()
    assert os.listdir(tmp_path) == ["out.csv"]
    assert target.read_text(encoding="utf-8") == "next\n"


@pytest.mark.skipif(not hasattr(os, "kill"), reason="no signals")
def test_a_part_of_a_running_process_is_never_removed(tmp_path, children):
    target = tmp_path / "out.csv"
    target.write_text("good\n", encoding="utf-8")
    child, theirs = _holder(children, target)
    ours = tmp_path / atomic.part_name(target.name)   # this process's: alive
    ours.write_text("ours")

    csvio.write_atomically(target, lambda s: s.write("next\n"))
    assert theirs.exists() and ours.exists()
    assert atomic.clean_stale_parts(tmp_path) == []
    assert theirs.exists() and ours.exists()

    child.stdin.close()   # the writer goes without committing: now its part is stale
    child.wait(timeout=DEADLINE)
    csvio.write_atomically(target, lambda s: s.write("last\n"))
    assert not theirs.exists() and ours.exists()


@pytest.mark.skipif(not hasattr(os, "kill"), reason="no signals")
def test_stale_parts_of_other_files_wait_for_clean_stale_parts(tmp_path, children):
    target, other = tmp_path / "out.csv", tmp_path / "other.csv"
    dead, part = _killed_holder(children, other)
    elsewhere = tmp_path / atomic.part_name("other.csv", pid=dead, host="0123abcd")   # a shared folder's
    users = [tmp_path / ".~notes.part", tmp_path / f".~other.csv.{atomic.HOST}.{dead}.part"]
    for path in [elsewhere, *users]:
        path.write_text("not ours to remove")

    csvio.write_atomically(target, lambda s: s.write("a\n"))
    assert part.exists()                      # another file's: not this write's business
    assert atomic.clean_stale_parts(tmp_path) == [str(part)]
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in [target, elsewhere, *users])


def test_only_parts_named_by_this_program_are_stale_candidates():
    name = atomic.part_name("lesson.bpe", pid=2 ** 31 - 1)   # beyond any pid_max: no such process
    assert atomic.is_stale(name) and atomic.is_stale(name, "lesson.bpe")
    assert not atomic.is_stale(name, "other.bpe")
    assert not atomic.is_stale(atomic.part_name("lesson.bpe"))          # this process
    assert not atomic.is_stale(".~lesson.bpe.part")
    assert not atomic.is_stale(name[:-len(".part")])
