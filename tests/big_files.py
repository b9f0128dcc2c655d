"""Large hostile files made quickly, for the tests that must refuse them."""

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
