"""Shared by the Python benchmark scripts."""

import time


def best(fn, repeat: int) -> float:
    """The fastest of `repeat` runs of fn(), in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def reset_peak() -> int:
    """Resets the process's peak resident memory to the current one (Linux: writing 5 to
    /proc/self/clear_refs) and returns it in bytes."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status_bytes("VmHWM")


def peak() -> int:
    """The peak resident memory since the last reset_peak(), in bytes."""
    return _status_bytes("VmHWM")


def _status_bytes(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def give_back() -> None:
    """Returns memory freed so far to the system — Arrow's pool's and glibc's heap's
    (malloc_trim) — so that the resident memory after it counts what is held."""
    import ctypes

    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    ctypes.CDLL(None).malloc_trim(0)
