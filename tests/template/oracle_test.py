#!/usr/bin/env python3
"""Oracle test: renders chat templates through Python's Jinja2 (configured as Hugging Face does,
see render_oracle.py) and through `uma template`, and requires byte-identical output. Where
Jinja2 raises, uma must fail with the same message.

  corpus mode: every template in --templates x every conversation in --messages, with
               add_generation_prompt true and false;
  cases mode:  each {"name", "template", "vars"} of --cases (our own constructs).
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import render_oracle as ro
except ImportError as e:  # jinja2 missing
    print(f"oracle_test: cannot import Jinja2 ({e}); install python3-jinja2 (scripts/setup.sh)")
    sys.exit(1)

NOW = "2025-01-15T12:00:00"


def run_uma(uma, template_path, messages_path, gen):
    cmd = [uma, "template", "--file", template_path, "--messages", messages_path, "--now", NOW]
    if gen is not None:
        cmd.append("--generation-prompt" if gen else "--no-generation-prompt")
    p = subprocess.run(cmd, capture_output=True, timeout=60)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def compare(label, expected, err, rc, out, stderr, syntax=False):
    """Returns None when uma agrees with Jinja2, else a description of the difference.
    Syntax errors must be refused too, but uma words them its own way ("line N: ...")."""
    if err is not None and syntax:
        if rc == 1 and stderr.startswith("uma template: ") and ": line " in stderr:
            return None
        return f"{label}: Jinja2 refused to compile ({err!r}); uma rc={rc} stderr={stderr!r}"
    if err is not None:
        want = "uma template: " + err + "\n"
        if rc == 1 and stderr == want:
            return None
        return f"{label}: Jinja2 raised {err!r}; uma rc={rc} stderr={stderr!r} stdout={out[:200]!r}"
    if rc != 0:
        return f"{label}: Jinja2 rendered {len(expected)} chars; uma failed: {stderr.strip()}"
    exp = expected.encode("utf-8")
    if out == exp:
        return None
    i = next((k for k in range(min(len(out), len(exp))) if out[k] != exp[k]), min(len(out), len(exp)))
    return (f"{label}: differs at byte {i}: jinja2 {exp[max(0, i - 40):i + 40]!r}\n"
            f"{' ' * len(label)}      uma    {out[max(0, i - 40):i + 40]!r}")


def corpus(args):
    templates = sorted(glob.glob(os.path.join(args.templates, "*.jinja")))
    convs = sorted(glob.glob(os.path.join(args.messages, "*.json")))
    if not templates or not convs:
        print(f"oracle_test: no templates or conversations under {args.templates}")
        return 1
    jobs = [(t, m, g) for t in templates for m in convs for g in (True, False)]

    def one(job):
        t, m, g = job
        with open(t, encoding="utf-8", newline="") as f:
            src = f.read()
        expected, err = ro.render(src, ro.build_context(ro.load_conversation(m), g))
        rc, out, stderr = run_uma(args.uma, t, m, g)
        label = f"{os.path.basename(t)} x {os.path.basename(m)} gen={g}"
        return compare(label, expected, err, rc, out, stderr), err is not None

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(one, jobs))
    failures = [r for r, _ in results if r]
    raised = sum(1 for _, e in results if e)
    for f in failures:
        print("FAIL", f)
    ok = len(jobs) - len(failures)
    print(f"{len(templates)} templates x {len(convs)} conversations x 2 = {ok}/{len(jobs)} "
          f"byte-identical ({raised} of them raise in Jinja2, with the same message in uma)")
    return 0 if not failures else 1


def write_expected(all_cases, path):
    """Jinja2's result for each case, for the C++ unit test that runs without Python."""
    results = []
    for case in all_cases:
        conv = {"messages": []}
        conv.update(case.get("vars", {}))
        out, err, syntax = ro.render_ex(case["template"], ro.build_context(conv))
        r = {"name": case["name"]}
        if err is None:
            r["output"] = out
        elif syntax:
            r["syntax_error"] = err
        else:
            r["error"] = err
        results.append(r)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(results, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote Jinja2's results for {len(results)} cases to {path}")
    return 0


def cases(args):
    with open(args.cases, encoding="utf-8") as f:
        all_cases = json.load(f)
    if args.write_expected:
        return write_expected(all_cases, args.write_expected)
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, case in enumerate(all_cases):
            t = os.path.join(tmp, f"{n}.jinja")
            m = os.path.join(tmp, f"{n}.json")
            with open(t, "w", encoding="utf-8", newline="") as f:
                f.write(case["template"])
            conv = {"messages": []}
            conv.update(case.get("vars", {}))
            with open(m, "w", encoding="utf-8") as f:
                json.dump(conv, f, ensure_ascii=False)
            expected, err, syntax = ro.render_ex(case["template"], ro.build_context(conv))
            rc, out, stderr = run_uma(args.uma, t, m, None)
            r = compare(case.get("name", str(n)), expected, err, rc, out, stderr, syntax)
            if r:
                failures.append(r)
    for f in failures:
        print("FAIL", f)
    print(f"{len(all_cases) - len(failures)}/{len(all_cases)} own cases byte-identical to Jinja2")
    return 0 if not failures else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--uma")
    ap.add_argument("--templates")
    ap.add_argument("--messages")
    ap.add_argument("--cases")
    ap.add_argument("--write-expected", help="with --cases: store Jinja2's results as JSON")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    args = ap.parse_args()
    if args.cases:
        return cases(args)
    if not args.messages:
        args.messages = os.path.join(args.templates, "messages")
    return corpus(args)


if __name__ == "__main__":
    sys.exit(main())
