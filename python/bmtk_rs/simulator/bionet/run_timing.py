"""What a BioNet run spent its time on, per MPI rank: the simulation loop's wall and CPU time, and
the spike exchange (one allgather per min-delay epoch) split into its count, its volume and its
time. The figures go to the log at the end of the run (rank 0 writes every rank's line) and to
`BioSimulator.run_timing`, so a benchmark can project a run on more ranks from measured numbers."""

import resource
import time

import numpy as np

# allgathers timed after the run, each behind a barrier: the cost of one exchange without the wait
# for the slowest rank (which the in-run timer includes)
LATENCY_REPEATS = 50


def _cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class SpikeExchange:
    """The engine's exchange callback (every rank's spikes of the epoch, gathered on every rank),
    with timers: calls, spikes and bytes sent and received (12 bytes a spike: time f64, gid u32)."""

    def __init__(self, comm):
        self.comm = comm
        self.calls = 0
        self.seconds = 0.0
        self.spikes_sent = 0
        self.bytes_sent = 0
        self.bytes_received = 0

    def __call__(self, t, ids):
        t, ids = np.asarray(t), np.asarray(ids)
        start = time.perf_counter()
        parts = self.comm.allgather((t, ids))
        self.seconds += time.perf_counter() - start
        self.calls += 1
        self.spikes_sent += len(t)
        self.bytes_sent += t.nbytes + ids.nbytes
        self.bytes_received += sum(p[0].nbytes + p[1].nbytes for p in parts)
        return (np.concatenate([p[0] for p in parts]).tolist(), np.concatenate([p[1] for p in parts]).tolist())

    def latency(self, repeats=LATENCY_REPEATS):
        """Mean seconds of one allgather of this run's mean payload, every rank entering together."""
        n = self.spikes_sent // max(self.calls, 1)
        t, ids = np.zeros(n), np.zeros(n, dtype=np.uint32)
        total = 0.0
        for _ in range(repeats):
            self.comm.Barrier()
            start = time.perf_counter()
            self.comm.allgather((t, ids))
            total += time.perf_counter() - start
        return total / repeats


class RunTimer:
    """Wall and CPU seconds of the simulation loop of one rank (CPU: the whole process, every
    thread of the engine included)."""

    def __init__(self, exchange=None):
        self.exchange = exchange
        self.wall0, self.cpu0 = time.perf_counter(), _cpu_seconds()

    def finish(self, io, comm):
        wall, cpu = time.perf_counter() - self.wall0, _cpu_seconds() - self.cpu0
        mine = dict(rank=0 if comm is None else comm.Get_rank(), loop_wall_s=wall, loop_cpu_s=cpu)
        ex = self.exchange
        if ex is not None:
            mine.update(exchanges=ex.calls, exchange_s=ex.seconds, compute_wall_s=wall - ex.seconds,
                        spikes_sent=ex.spikes_sent, bytes_sent=ex.bytes_sent, bytes_received=ex.bytes_received,
                        allgather_latency_s=ex.latency())
        ranks = [mine] if comm is None else comm.allgather(mine)
        for r in ranks:
            line = "Run timing, rank {}: loop {:.2f} s wall, {:.2f} s CPU".format(
                r["rank"], r["loop_wall_s"], r["loop_cpu_s"])
            if "exchanges" in r:
                line += ("; spike exchange {} allgathers in {:.3f} s ({:.1f} us each, waiting for the other "
                         "ranks included; {:.1f} us each behind a barrier), {} spikes = {} bytes sent, {} bytes "
                         "received; compute {:.2f} s wall").format(
                    r["exchanges"], r["exchange_s"], 1e6 * r["exchange_s"] / max(r["exchanges"], 1),
                    1e6 * r["allgather_latency_s"], r["spikes_sent"], r["bytes_sent"], r["bytes_received"],
                    r["compute_wall_s"])
            io.info(line)
        return ranks
