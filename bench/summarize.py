# Turns bench/run.sh's raw measurements into the table it prints and the CSV it keeps:
# per case the median with min-max over the repetitions, and within each group the
# ratios to the sgemm floor, to numpy and to PyTorch (standard library only).
#   summarize.py RAW.csv META.txt OUT.csv
# RAW.csv: group,case,role,metric,value. role: floor, numpy, torch, actlab, info, or base
# (the row its group's other rows are set against: the sweep's --jobs 1 --threads 1).
# metric: seconds (wall), cpu_seconds (the process's CPU time), peak_rss_mb.
import csv
import statistics
import sys


def main(raw_path, meta_path, out_path):
    with open(meta_path) as f:
        meta = dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)
    values, order, roles = {}, [], {}
    with open(raw_path) as f:
        for r in csv.DictReader(f):
            case = (r["group"], r["case"])
            if case not in roles:
                roles[case] = r["role"]
                order.append(case)
            v = values.setdefault((case, r["metric"]), [])
            if r["value"] not in ("", "NA"):
                v.append(float(r["value"]))

    def stat(case, metric):
        v = values.get((case, metric))
        return (statistics.median(v), min(v), max(v), len(v)) if v else None

    def reference(group, role):
        for case in order:
            if case[0] == group and roles[case] == role:
                s = stat(case, "seconds")
                if s:
                    return s[0]
        return None

    out = []
    for case in order:
        group, name = case
        role = roles[case]
        metric = "peak_rss_mb" if stat(case, "peak_rss_mb") else "seconds"
        s, cpu = stat(case, metric), stat(case, "cpu_seconds")
        rec = {"date": meta.get("date", ""), "group": group, "case": name, "metric": metric,
               "reps": 0, "median": "", "min": "", "max": "", "cpu_median": "",
               "vs_floor": "", "speedup_vs_numpy": "", "speedup_vs_torch": "",
               "speedup_vs_base": "", "machine": meta.get("machine", ""),
               "openblas": meta.get("openblas", ""), "commit": meta.get("commit", "")}
        if s:
            med, lo, hi, n = s
            rec.update(reps=n, median=f"{med:.4g}", min=f"{lo:.4g}", max=f"{hi:.4g}")
            if cpu:
                rec["cpu_median"] = f"{cpu[0]:.4g}"
            if metric == "seconds" and role != "info":
                for key, ref_role, skip in (("vs_floor", "floor", ("floor",)),
                                            ("speedup_vs_numpy", "numpy", ("numpy", "floor")),
                                            ("speedup_vs_torch", "torch", ("torch", "floor")),
                                            ("speedup_vs_base", "base", ("base",))):
                    ref = reference(group, ref_role)
                    if ref and role not in skip:
                        rec[key] = f"{med / ref:.3f}" if key == "vs_floor" else f"{ref / med:.2f}"
        out.append(rec)

    with open(out_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(out[0].keys()))
        w.writeheader()
        w.writerows(out)

    print(f"\nactlab benchmark, {meta.get('date', '')} ({meta.get('mode', '')})")
    for k in ("machine", "openblas", "commit", "env", "cores", "load"):
        if meta.get(k):
            print(f"{k + ':':<10}{meta[k]}")
    head = (f"{'case':<46} {'median':>8} {'min-max':>17} {'cpu':>7} {'/floor':>7} "
            f"{'x numpy':>7} {'x torch':>7} {'x base':>6}")
    group = None
    for rec in out:
        if rec["group"] != group:
            group = rec["group"]
            unit = "MB" if rec["metric"] == "peak_rss_mb" else "s"
            print(f"\n{group} ({unit})\n{head}")
        rng = f"{rec['min']}-{rec['max']}" if rec["reps"] else "not measured"
        print(f"{rec['case'][:46]:<46} {rec['median']:>8} {rng:>17} {rec['cpu_median']:>7} "
              f"{rec['vs_floor']:>7} {rec['speedup_vs_numpy']:>7} {rec['speedup_vs_torch']:>7} "
              f"{rec['speedup_vs_base']:>6}")
    print("\nmedian, min-max: wall time (or peak memory) over the repetitions; cpu: median CPU "
          "time of the process.\n/floor: median over the sgemm floor's (1.000 = the GEMMs "
          "alone). x numpy, x torch, x base: their median\nover this row's (> 1: faster than "
          "them); base is the sweep with --jobs 1 --threads 1.")
    print(f"written: {out_path}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
