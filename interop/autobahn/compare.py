"""Compares an Autobahn|Testsuite report with the result we expect.

    python3 compare.py expected-results.json REPORT_DIR/index.json

Each case's verdict ("behavior") and close verdict ("behaviorClose") must
equal the expected ones, and every expected verdict other than OK must have
its reason in the file's "explained" map. Prints a summary line and each
difference; exits 1 if there is any. Used by interop/run.sh; the same idea as
tokio-tungstenite's expected-results.json.
"""
import collections
import json
import sys


def verdicts(report):
    """The one agent's cases from index.json, as {case: {behavior, behaviorClose}}."""
    (cases,) = report.values()
    return {
        case: {"behavior": r["behavior"], "behaviorClose": r["behaviorClose"]}
        for case, r in cases.items()
    }


def main(expected_path, report_path):
    with open(expected_path) as f:
        expected = json.load(f)
    with open(report_path) as f:
        actual = verdicts(json.load(f))

    problems = []
    for case, verdict in sorted(expected["cases"].items()):
        if set(verdict.values()) != {"OK"}:
            if case not in expected["explained"]:
                problems.append(f"{case}: expected {verdict} without a reason in 'explained'")
    for case in sorted(set(expected["cases"]) | set(actual)):
        want, got = expected["cases"].get(case), actual.get(case)
        if want != got:
            problems.append(f"{case}: expected {want}, got {got}")

    counts = collections.Counter(v["behavior"] for v in actual.values())
    print(f"{len(actual)} cases: " + ", ".join(f"{n} {b}" for b, n in sorted(counts.items())))
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
