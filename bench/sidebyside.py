#!/usr/bin/env python3
"""Side-by-side runner for bench/run.sh --side-by-side.

Runs pairs of commands (ours, the shell layer's) interleaved: every round runs
each pair once, in alternating order, as whole processes. For each process it
takes the wall-clock time, the CPU time (user + system, from wait4) and the
peak RSS. It prints one row per pair: medians, the ratio ours/shell of the
wall-clock medians, the target and whether it is met.

Input (JSON on stdin): {"rounds": R, "rows": [{"name", "ours": {"cwd", "cmd"},
"shell": {"cwd", "cmd"} or null, "target": ratio or null, "target_ms": ms or
null, "target_mib": MiB or null, "env": {...}}]}. A command is run with
bash -c; "{i}" in it is replaced by the run's number in its row and side
(1, 2, ...: consecutive runs alternate with {i} % 2) and "{n}" by a number
unique to this invocation (for new ids).
"""
import json
import os
import statistics
import subprocess
import sys
import time

counters = {}


def run(spec, extra_env):
    counters[id(spec)] = counters.get(id(spec), 0) + 1
    cmd = spec["cmd"].replace("{i}", str(counters[id(spec)])).replace("{n}", "%d%d" % (os.getpid(), int(time.time())))
    env = dict(os.environ)
    env.update(extra_env or {})
    t0 = time.perf_counter()
    p = subprocess.Popen(["bash", "-c", "exec " + cmd if spec.get("exec", True) else cmd],
                         cwd=spec["cwd"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.stderr.write("bench: %s exited %d: %s\n" % (cmd, code, err.strip()[:300]))
    return {"wall": wall * 1000, "cpu": (ru.ru_utime + ru.ru_stime) * 1000, "rss": ru.ru_maxrss / 1024, "ok": code == 0}


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def main():
    cfg = json.load(sys.stdin)
    rounds = cfg.get("rounds", 7)
    rows = cfg["rows"]
    res = [{"ours": [], "shell": []} for _ in rows]
    for i, row in enumerate(rows):  # warm-up: one of each
        run(row["ours"], row.get("env"))
        if row.get("shell"):
            run(row["shell"], None)
    for r in range(rounds):
        for i, row in enumerate(rows):
            sides = ["ours", "shell"] if r % 2 == 0 else ["shell", "ours"]
            for side in sides:
                if row.get(side):
                    res[i][side].append(run(row[side], row.get("env") if side == "ours" else None))
    hdr = "%-34s %9s %9s %7s %8s %8s %8s %8s %-10s %s" % (
        "operation", "ours_ms", "shell_ms", "ratio", "ours_cpu", "shl_cpu", "ours_MiB", "shl_MiB", "target", "met")
    print(hdr)
    out = []
    for row, rr in zip(rows, res):
        o, s = rr["ours"], rr["shell"]
        ow, sw = med([x["wall"] for x in o]), med([x["wall"] for x in s])
        oc, sc = med([x["cpu"] for x in o]), med([x["cpu"] for x in s])
        om, sm = max([x["rss"] for x in o] or [0]), max([x["rss"] for x in s] or [0])
        ratio = ow / sw if s else float("nan")
        met, target = [], []
        if row.get("target") is not None:
            target.append("<=%.2fx" % row["target"])
            met.append(ratio <= row["target"])
        if row.get("target_ms") is not None:
            target.append("<=%gms" % row["target_ms"])
            met.append(ow <= row["target_ms"])
        if row.get("target_mib") is not None:
            target.append("<=%gMiB" % row["target_mib"])
            met.append(om <= row["target_mib"])
        if not all(x["ok"] for x in o + s):
            met.append(False)
            target.append("(failed runs)")
        verdict = "-" if not met else ("yes" if all(met) else "NO")
        print("%-34s %9.1f %9s %7s %8.1f %8s %8.1f %8s %-10s %s" % (
            row["name"], ow, "%.1f" % sw if s else "-", "%.2fx" % ratio if s else "-", oc,
            "%.1f" % sc if s else "-", om, "%.1f" % sm if s else "-", ",".join(target) or "-", verdict))
        sys.stdout.flush()
        out.append({"name": row["name"], "ours_ms": ow, "shell_ms": sw if s else None, "ratio": ratio if s else None,
                    "ours_cpu_ms": oc, "shell_cpu_ms": sc if s else None, "ours_peak_mib": om, "met": verdict})
    if cfg.get("json"):
        with open(cfg["json"], "w") as f:
            json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
