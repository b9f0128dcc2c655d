import pytest

CHILD_DEADLINE = 60   # seconds a child process may take to finish once killed


@pytest.fixture
def children():
    """The child processes a test starts: killed if still running, their pipes closed."""
    started = []
    yield started
    for child in started:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=CHILD_DEADLINE)
        for pipe in (child.stdin, child.stdout, child.stderr):
            if pipe is not None:
                pipe.close()
