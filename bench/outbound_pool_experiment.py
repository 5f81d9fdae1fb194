"""An experiment, not practice-ops' path: how fast outbound could go with messages prepared in
parallel, to size the work issue 11's 1,000 messages a second would take.

    python bench/outbound_pool_experiment.py [N] [--one-process]

Two worker processes render, compose and S/MIME-seal the same reminders as bench_practice.py's
outbound figure, in batches of 100; this process writes each .eml flushed before it is renamed (a
temporary file, fsync, rename; as the Outbox did before it flushed in groups) from four threads,
so the disk's flushes overlap. With --one-process this
process prepares each message itself while the four threads write the ones before it: the next
message's preparation overlapped with this one's flush, and no more. The Postman does neither:
it prepares, records and hands over one message at a time, in order, through the never-twice
ledger, and the Outbox now flushes its files in groups (docs/decisions.md).
"""

from __future__ import annotations

import multiprocessing
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BATCH = 100
_prepared_with: dict = {}


def _start(certificate_pem: bytes) -> None:
    from cryptography import x509

    from automations.messages.render import Templates

    _prepared_with["certificate"] = x509.load_pem_x509_certificate(certificate_pem)
    _prepared_with["templates"] = Templates()


def prepare(numbers: list[int]) -> list[tuple[int, bytes]]:
    """Render, compose and seal these reminders; their bytes as the Outbox would write them."""
    from email.policy import SMTP

    from automations.messages.smime import seal
    from bench.bench_practice import reminder

    return [(n, seal(reminder(_prepared_with["templates"], n), _prepared_with["certificate"]).as_bytes(policy=SMTP))
            for n in numbers]


def write(folder: Path, n: int, data: bytes) -> None:
    from bench.bench_practice import write_flushed

    write_flushed(folder / f"message-{n}.eml", data)


def one_process(count: int, folder: Path, pem: bytes) -> float:
    """Messages a second, prepared here one after another while four threads write and flush them."""
    _start(pem)
    started = time.perf_counter()
    with ThreadPoolExecutor(4) as writers:
        written = [writers.submit(write, folder, n, data) for n, data in (prepare([n])[0] for n in range(count))]
        for done in written:
            done.result()
    return count / (time.perf_counter() - started)


def main() -> None:
    from tests.pki import make_identity

    numbers = [argument for argument in sys.argv[1:] if argument != "--one-process"]
    count = int(numbers[0]) if numbers else 5000
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        pem = make_identity(folder / "keys", "ann@practice.example")[0].read_bytes()
        (folder / "out").mkdir()
        if "--one-process" in sys.argv:
            rate = one_process(count, folder / "out", pem)
            print(f"{count:,} messages prepared here and written by 4 threads meanwhile: {rate:,.0f} a second")
            return
        with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"), initializer=_start,
                                 initargs=(pem,)) as preparers, ThreadPoolExecutor(4) as writers:
            list(preparers.map(prepare, [[0], [1]]))  # both processes started and warm
            started = time.perf_counter()
            batches = [list(range(first, min(first + BATCH, count))) for first in range(0, count, BATCH)]
            written = [writers.submit(write, folder / "out", n, data)
                       for batch in preparers.map(prepare, batches) for n, data in batch]
            for done in written:
                done.result()
            seconds = time.perf_counter() - started
    print(f"{count:,} messages prepared by 2 processes and written by 4 threads: {count / seconds:,.0f} a second")


if __name__ == "__main__":
    main()
