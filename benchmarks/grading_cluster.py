#!/usr/bin/env python3
"""How fast does a Dask cluster grade a class? Submissions per minute with 1 and 2 workers on this machine.

    python benchmarks/grading_cluster.py                  # 200 submissions -> results/grading_cluster.json and .md
    python benchmarks/grading_cluster.py --submissions 2 --out /tmp/c.json

The class is ``N`` copies of an assignment's solution (``budgets.solved_class``: the slowest kind of
submission to grade). For ``W`` = 1 and 2 it starts a Dask scheduler and ``W`` workers of one
thread each on 127.0.0.1 (as ``book/instructor_guide.md`` says to start them on other machines,
``--preload exercises/grading/cluster.py``), waits for them, then times one ``instructor.py grade
--scheduler ADDRESS`` run: the workers' checks, the sandboxes, the gradebook, ``grades.csv`` and
the feedback. For comparison it times the local default with ``--jobs W`` (a Dask cluster of ``W``
threads inside the instructor's process); the ratio is what the scheduler round trips and the
separate processes cost. The extrapolation to a class of :data:`BIG_CLASS` students assumes every
further worker grades as fast as one of these: it is printed, written to the JSON and, as a
sentence for the Instructor guide, to ``results/grading_cluster.md``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from _harness import RESULTS, ROOT, format_table, machine_info, write_json
from budgets import INSTRUCTOR, _env, _timed_run, solved_class

DASK = Path(sys.executable).parent / "dask"
PRELOAD = ROOT / "exercises" / "grading" / "cluster.py"
#: The class: large enough that the run's fixed costs (start-up, checks, export) do not dominate the rate.
N_SUBMISSIONS = 200
WORKERS = (1, 2)
#: The class size the guide extrapolates to.
BIG_CLASS = 10_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalDask:
    """A scheduler and ``workers`` one-thread workers on 127.0.0.1, in their own sessions; ended on exit."""

    def __init__(self, folder: Path, workers: int):
        self.folder, self.workers, self.processes = folder, workers, []
        self.address = f"tcp://127.0.0.1:{_free_port()}"

    def _start(self, name: str, *args: str) -> None:
        (self.folder / name).mkdir(parents=True)
        with open(self.folder / f"{name}.log", "w") as log:
            self.processes.append(subprocess.Popen(
                [str(DASK), *args, "--no-dashboard", "--preload", str(PRELOAD)], cwd=self.folder / name,
                env={k: v for k, v in _env().items() if k != "PYTHONPATH"}, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True))

    def __enter__(self):
        from distributed import Client

        self._start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", self.address.rsplit(":", 1)[1])
        for i in range(self.workers):
            self._start(f"w{i}", "worker", self.address, "--nthreads", "1", "--host", "127.0.0.1",
                        "--local-directory", str(self.folder / f"w{i}"))
        with Client(self.address, timeout=120) as client:
            client.wait_for_workers(self.workers, timeout=300)
        return self

    def __exit__(self, *exc):
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def grade_once(course: Path, assignment: str, n: int, log: Path, *options: str) -> dict:
    """One ``instructor.py grade`` of the class (after removing the last run's output), timed."""
    for old in ("autograded", "feedback"):
        shutil.rmtree(course / old, ignore_errors=True)
    seconds, code = _timed_run([*INSTRUCTOR, "grade", assignment, *options, "--course", course], course, log)
    graded = len(list((course / "autograded").glob(f"*/{assignment}")))
    return {"seconds": seconds, "exit_code": code, "graded": graded, "per_min": n / seconds * 60.0,
            "log_tail": log.read_text()[-1500:] if code != 0 or graded != n else ""}


def extrapolation(per_worker_per_min: float, workers: int, students: int = BIG_CLASS) -> float:
    """Hours for ``students`` submissions on ``workers`` workers that each grade ``per_worker_per_min`` a minute."""
    return students / (workers * per_worker_per_min) / 60.0


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=N_SUBMISSIONS, help="size of the class")
    parser.add_argument("--assignment", help="assignment to grade (default: the first in exercises/source)")
    parser.add_argument("--out", type=Path, help="JSON file to write (default for a full run: "
                                                 "results/grading_cluster.json, with the guide's sentence beside it)")
    args = parser.parse_args(argv)
    full_run = args.submissions == N_SUBMISSIONS and args.assignment is None
    out_path = args.out if args.out is not None else (RESULTS / "grading_cluster.json" if full_run else None)
    results = {"machine": machine_info(), "config": {"submissions": args.submissions, "full_run": full_run,
                                                     "command": " ".join(sys.argv)}, "runs": {}}
    with tempfile.TemporaryDirectory(prefix="grading-cluster-") as tmp:
        made = solved_class(Path(tmp), args.submissions, args.assignment)
        if "skipped" in made:
            print(f"skipped: {made['skipped']}")
            results["skipped"] = made["skipped"]
        else:
            course, assignment = made["course"], made["assignment"]
            results["config"]["assignment"] = assignment
            for workers in WORKERS:
                print(f"[{workers} worker(s)] ...", flush=True)
                with LocalDask(Path(tmp) / f"dask-{workers}", workers) as dask:
                    cluster = grade_once(course, assignment, args.submissions, Path(tmp) / f"cluster-{workers}.log",
                                         "--scheduler", dask.address)
                local = grade_once(course, assignment, args.submissions, Path(tmp) / f"local-{workers}.log",
                                   "--jobs", str(workers))
                results["runs"][str(workers)] = {"workers": workers, "cluster": cluster, "local_jobs": local,
                                                 "cluster_vs_local_time": cluster["seconds"] / local["seconds"]}
    if results["runs"]:
        one, two = results["runs"]["1"], results["runs"]["2"]
        per_worker = one["cluster"]["per_min"]
        results["extrapolation"] = {
            "students": BIG_CLASS, "per_worker_per_min": per_worker,
            "speedup_2_workers": two["cluster"]["per_min"] / per_worker,
            "hours_on_1_worker": extrapolation(per_worker, 1),
            "hours_on_20_workers": extrapolation(per_worker, 20),
            "note": "extrapolated from the 1-worker rate, assuming every further worker adds as much (linear)"}
        rows = [{"run": f"{r['workers']} worker(s), --scheduler", "per_min": r["cluster"]["per_min"],
                 "seconds": r["cluster"]["seconds"], "graded": r["cluster"]["graded"]}
                for r in results["runs"].values()]
        rows += [{"run": f"--jobs {r['workers']} (local)", "per_min": r["local_jobs"]["per_min"],
                  "seconds": r["local_jobs"]["seconds"], "graded": r["local_jobs"]["graded"]}
                 for r in results["runs"].values()]
        print(format_table(rows, [("run", "run"), ("per_min", "submissions/min"), ("seconds", "seconds"),
                                  ("graded", "graded")]))
        for r in results["runs"].values():
            print(f"{r['workers']} worker(s): the cluster takes {r['cluster_vs_local_time']:.2f} times as long as "
                  f"--jobs {r['workers']} in one process")
        e = results["extrapolation"]
        print(f"2 workers grade {e['speedup_2_workers']:.2f} times as fast as 1 (2 cores, shared)")
        print(f"extrapolation: {BIG_CLASS} students take {e['hours_on_1_worker']:.1f} h on one such worker, "
              f"{e['hours_on_20_workers']:.2f} h on 20 (linear scaling assumed)")
    if out_path is not None:
        write_json(results, out_path)
        print(f"wrote {out_path}")
        if "extrapolation" in results:
            e = results["extrapolation"]
            sentence = (f"On the machine of the last benchmark run ({results['machine']['usable_cores']} cores, "
                        f"{results['machine']['date_utc'][:10]}), one worker of one thread graded "
                        f"{e['per_worker_per_min']:.1f} correct submissions of `{results['config']['assignment']}` "
                        f"a minute (start-up and export included), and two workers "
                        f"{e['speedup_2_workers']:.2f} times as many (on {results['machine']['usable_cores']} "
                        f"cores that other programs used too: load average "
                        f"{results['machine']['load_average'][0]:.1f}). *Extrapolated* from the one-worker rate, "
                        f"assuming every further worker adds as much (the scheduler's and the gradebook's own "
                        f"work will eventually contradict that), a class of {BIG_CLASS:,} students takes about "
                        f"{e['hours_on_1_worker']:.1f} hours on one such worker and "
                        f"{e['hours_on_20_workers'] * 60:.0f} minutes on 20 of them.\n")
            out_path.with_suffix(".md").write_text(sentence)
            print(f"wrote {out_path.with_suffix('.md')}")
    return results


if __name__ == "__main__":
    main()
