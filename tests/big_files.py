"""Large hostile files made quickly, for the tests that must refuse them, and
how much memory a refusal took (a refusal that read the file would show it)."""

import tracemalloc

MB = 2 ** 20


def write_repeated(path, head, block, size):
    """A file of ``size`` bytes: ``head``, then ``block`` again and again (the last one cut)."""
    unit = block * max(1, MB // len(block))
    with open(path, "wb") as stream:
        stream.write(head)
        while stream.tell() < size:
            stream.write(unit)
        stream.truncate(size)


def sparse(path, size):
    """A file of ``size`` zero bytes that takes no room on disk."""
    with open(path, "wb") as stream:
        stream.truncate(size)


SMALL_PEAK = 16 * MB   # bytes allocated at the peak of refusing a file of 100 MB or more: it was not read


def measured(call):
    """(the exception ``call()`` raised or None, the peak of bytes Python allocated meanwhile)."""
    tracemalloc.start()
    try:
        call()
    except Exception as error:   # noqa: BLE001 -- the caller says which
        raised = error
    else:
        raised = None
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return raised, peak
