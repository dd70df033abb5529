#!/usr/bin/env python3
"""Compares two `rvm-edge detect --json` outputs (one JSON object per image).

    compare-detections.py REFERENCE.jsonl OTHER.jsonl [--box-px 1] [--score 0.01]

Passes when both saw the same images and, for every image, the same number
of detections with the same classes, each box within --box-px pixels (every
coordinate) and each score within --score of its counterpart. Detections are
paired within a class by the smallest largest-coordinate difference. Prints
the largest differences found; exits 1 on any mismatch, 2 on a usage error.
Used by scripts/cross-arm64.sh to hold the aarch64 build to the x86-64 one.
"""
import argparse
import json
import sys


def load(path):
    records = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                sys.exit(f"compare-detections: {path}:{n}: not JSON: {e}")
            records[r["file"]] = r
    if not records:
        sys.exit(f"compare-detections: {path}: no image records")
    return records


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("reference")
    ap.add_argument("other")
    ap.add_argument("--box-px", type=float, default=1.0)
    ap.add_argument("--score", type=float, default=0.01)
    a = ap.parse_args()
    ref, other = load(a.reference), load(a.other)
    problems = []
    if set(ref) != set(other):
        problems.append(f"different images: only in reference {sorted(set(ref) - set(other))}, "
                        f"only in other {sorted(set(other) - set(ref))}")
    max_box = max_score = 0.0
    detections = 0
    for name in sorted(set(ref) & set(other)):
        r, o = ref[name], other[name]
        if "error" in r or "error" in o:
            if r.get("error") != o.get("error"):
                problems.append(f"{name}: error {r.get('error')!r} vs {o.get('error')!r}")
            continue
        rd, od = r["detections"], o["detections"]
        if sorted(d["class_id"] for d in rd) != sorted(d["class_id"] for d in od):
            problems.append(f"{name}: classes {[d['class_id'] for d in rd]} vs "
                            f"{[d['class_id'] for d in od]}")
            continue
        left = list(od)
        for d in rd:
            candidates = [e for e in left if e["class_id"] == d["class_id"]]
            best = min(candidates,
                       key=lambda e: max(abs(x - y) for x, y in zip(d["box"], e["box"])))
            left.remove(best)
            box = max(abs(x - y) for x, y in zip(d["box"], best["box"]))
            score = abs(d["score"] - best["score"])
            max_box, max_score = max(max_box, box), max(max_score, score)
            detections += 1
            if box > a.box_px or score > a.score:
                problems.append(f"{name}: {d['label']} box {d['box']} vs {best['box']} "
                                f"(off by {box:.2f} px), score {d['score']} vs {best['score']}")
    print(f"compare-detections: {len(ref)} images, {detections} detections paired; largest box "
          f"difference {max_box:.2f} px (limit {a.box_px}), largest score difference "
          f"{max_score:.4f} (limit {a.score})")
    for p in problems:
        print(f"  MISMATCH {p}")
    print("compare-detections: " + ("FAIL" if problems else "same detections"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
