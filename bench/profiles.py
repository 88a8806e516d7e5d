"""Sampling profiles of a benchmark's server processes, taken with py-spy from outside them.

``Recording`` starts ``py-spy record`` (installed with the dev extras) on each process for a
measured run: py-spy reads the processes' memory from its own process (``--nonblocking``: it
does not stop them to sample), so the node runs its own code, unchanged; py-spy's CPU does
share the machine's cores, so a profiled run's rate is lower than an unprofiled one's and the
figures to compare are the shares, not the times. Each profile is kept as collapsed stacks
(``DIR/LABEL-PID.txt``, the format flame-graph tools read) and summed up on stdout:

* the share of samples in each function's own code (the leaves), the top ``TOP``;
* the share under each part of the program (a frame's file, inclusive: a sample counts once
  for each part on its stack), for the node's own packages and the libraries it calls.

``--gil`` keeps only samples of the thread holding the GIL: for a process whose threads wait
on each other, it shows what the interpreter itself is busy with.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

TOP = 25
_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^():]+)(?::\d+)?\)$")


def py_spy() -> str:
    """The py-spy of this environment (``pip install -e '.[dev]'`` brings it)."""
    found = Path(sys.executable).with_name("py-spy")
    if found.exists():
        return str(found)
    other = shutil.which("py-spy")
    if other is None:
        raise SystemExit("py-spy is missing: run `make install` (it is one of the dev extras)")
    return other


class Recording:
    """py-spy recording each of ``pids`` for ``seconds`` (or until :meth:`finish` when None),
    collapsed stacks into ``out``."""

    def __init__(
        self,
        out: Path,
        label: str,
        pids: list[int],
        seconds: float | None,
        *,
        gil: bool = False,
        rate: int = 250,
        only: str | None = None,
    ) -> None:
        self.only = only
        self.timed = seconds is not None
        out.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        self.files = [out / f"{slug}-{pid}.txt" for pid in pids]
        self.procs = []
        self.errors = [path.with_suffix(".err") for path in self.files]
        for pid, path, errors in zip(pids, self.files, self.errors, strict=True):
            cmd = [py_spy(), "record", "--pid", str(pid), "--rate", str(rate), "--nonblocking"]
            if seconds is not None:
                cmd += ["--duration", str(max(1, int(seconds)))]
            cmd += ["--full-filenames", "--format", "raw", "--output", str(path)]
            cmd += ["--gil"] if gil else []
            with errors.open("wb") as err:
                self.procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err))

    def finish(self, *, show: bool = True) -> None:
        """Wait for the recordings (stop them first if they have no duration); print each
        profile's summary unless ``show`` is False (a run that failed). A py-spy that does not
        end within two minutes is killed."""
        for proc in self.procs:
            if not self.timed and proc.poll() is None:
                proc.send_signal(signal.SIGINT)  # py-spy writes what it has and exits
        for proc, path, errors in zip(self.procs, self.files, self.errors, strict=True):
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if not show:
                continue
            if proc.returncode != 0 or not path.exists():
                said = errors.read_text(errors="replace")[-400:] if errors.exists() else ""
                print(f"  py-spy failed ({proc.returncode}; it needs ptrace rights): {said}")
                continue
            print(f"  profile {path}:")
            for line in summary(path.read_text(), only=self.only):
                print("    " + line)


def _part(file: str) -> str:
    """A frame's file as the part of the program it belongs to."""
    path = file.replace("\\", "/")
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if "/node/" in path or path.startswith("node/"):
        tail = path.split("node/", 1)[1] if path.startswith("node/") else path.split("/node/", 1)[1]
        parts = tail.split("/")
        return "node/" + "/".join(parts[:2] if len(parts) > 2 else parts[:1])
    return "stdlib:" + path.rsplit("/", 1)[-1]


def summary(collapsed: str, only: str | None = None) -> list[str]:
    """Lines summing up collapsed stacks ("frame;frame;... count" per line); with ``only``, of
    the stacks with that text in one of their frames (a run's own code, not its set-up)."""
    leaves: Counter[str] = Counter()
    parts: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        if only is not None and only not in stack:
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        leaf = _FRAME.match(frames[-1])
        leaves[f"{leaf['func']} ({leaf['file'].rsplit('/', 1)[-1]})" if leaf else frames[-1]] += n
        seen = set()
        for frame in frames:
            m = _FRAME.match(frame)
            if m:
                seen.add(_part(m["file"]))
        for part in seen:
            parts[part] += n
    if not total:
        return ["no samples"]
    kept = f" (those through {only})" if only else ""
    out = [f"{total:,} samples{kept}; own time, top {TOP}:"]
    out += [f"{n / total:6.1%}  {name}" for name, n in leaves.most_common(TOP)]
    out.append("inclusive, by part of the program:")
    out += [f"{n / total:6.1%}  {name}" for name, n in parts.most_common(TOP + 15)]
    return out


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(arg)
        print("\n".join("  " + line for line in summary(Path(arg).read_text())))
