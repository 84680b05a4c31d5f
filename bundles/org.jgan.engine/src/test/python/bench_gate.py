"""The PyTorch ports' side of a paced benchmark (ArchitectureSpeedBenchmark with its Paced): standard library only."""
import os
import sys


def gate(it, warmup):
    """In a paced run (environment JGAN_BENCH_BLOCK=B > 0): before each block of B measured iterations (those from
    `warmup` on), prints '@@gate' and waits for a line on standard input, so that the benchmark can alternate blocks
    of this process's iterations with blocks of jgan's; ends the process when standard input has ended. Nothing
    otherwise."""
    block = int(os.environ.get("JGAN_BENCH_BLOCK", "0"))
    if block > 0 and it >= warmup and (it - warmup) % block == 0:
        print("@@gate", flush=True)
        if not sys.stdin.readline():
            sys.exit(2)  # the benchmark has gone: do not run on unpaced
