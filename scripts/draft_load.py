#!/usr/bin/env python3
"""Drafts under load (docs/PERFORMANCE.md, issue #10 point 2).

Starts `anju serve` on a fresh SQLite database with two town users, then
measures, against that server only (127.0.0.1, bounded counts):
  1. one figure re-drafted N times in a row: the time of the first and the
     last hundred saves (a draft's replacement must not grow with the number
     of versions the figure already has);
  2. a batch of 8,000 copies of one figure (the probe's case): refused, and how fast;
  3. a batch of every figure one town can enter (1,275) by one town while another town saves
     one figure every 50 ms: the batch's time and the other town's answers
     (none may be a 500).

    python3 scripts/draft_load.py --bin target/release/anju [--versions 3000]
"""
import argparse
import json
import os
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

PASSWORD = "Load-test-2026"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def call(base, method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if body is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def figure(period, value, org="硖石街道"):
    return {"indicator": 8, "org_unit": org, "period": period, "value": str(value)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--versions", type=int, default=3000)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="anju-drafts-")
    db = f"sqlite://{work}/anju.db"
    for name, org in [("xiashi", "硖石街道"), ("haizhou", "海洲街道")]:
        subprocess.run([args.bin, "user", "add", name, "--role", "town", "--org", org,
                        "--password-stdin", "--database", db],
                       input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([args.bin, "serve", "--database", db, "--listen", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                if call(base, "GET", "/api/v1/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        tok = {n: call(base, "POST", "/api/v1/login", {"username": n, "password": PASSWORD})[1]["token"]
               for n in ("xiashi", "haizhou")}

        # 1. One figure re-drafted many times.
        times = []
        for k in range(args.versions):
            t0 = time.perf_counter()
            status, _ = call(base, "POST", "/api/v1/values", {"values": [figure("2024-06", k)]}, tok["xiashi"])
            times.append(time.perf_counter() - t0)
            assert status == 200, status
        first, last = times[:100], times[-100:]
        print(f"1. re-drafting one figure {args.versions} times: first 100 saves "
              f"median {sorted(first)[50] * 1000:.2f} ms, last 100 median {sorted(last)[50] * 1000:.2f} ms")

        # 2. The same figure 8,000 times in one batch.
        t0 = time.perf_counter()
        status, body = call(base, "POST", "/api/v1/values", {"values": [figure("2024-07", 1)] * 8000}, tok["xiashi"])
        print(f"2. 8,000 copies of one figure in one batch: {status} in {(time.perf_counter() - t0) * 1000:.0f} ms "
              f"({body['error']['message'][:40]}…)")

        t0 = time.perf_counter()
        status, body = call(base, "POST", "/api/v1/values", {"values": [figure("2024-07", 1)] * 4000}, tok["xiashi"])
        print(f"   4,000 copies (under the cap): {status} in {(time.perf_counter() - t0) * 1000:.0f} ms "
              f"({body['error']['message'][:48]}…)")

        # 3. A large batch while another town saves.
        answers = []
        stop = threading.Event()

        def other():
            k = 0
            while not stop.is_set():
                t0 = time.perf_counter()
                status, _ = call(base, "POST", "/api/v1/values",
                                 {"values": [figure(f"2023-{1 + k % 12:02}", k, "海洲街道")]}, tok["haizhou"])
                answers.append((status, time.perf_counter() - t0))
                k += 1
                time.sleep(0.05)

        th = threading.Thread(target=other)
        th.start()
        time.sleep(0.3)
        # Every figure this town can enter for the plan's years: 15
        # indicators x (60 months, 20 quarters, 5 years).
        ratios = {1, 6, 10, 12, 13, 14}
        periods = [f"{y}-{m:02}" for y in range(2023, 2028) for m in range(1, 13)]
        periods += [f"{y}-Q{q}" for y in range(2023, 2028) for q in range(1, 5)]
        periods += [str(y) for y in range(2023, 2028)]
        batch = []
        for ind in range(1, 16):
            for p in periods:
                v = {"indicator": ind, "org_unit": "硖石街道", "period": p}
                if ind in ratios:
                    v.update(numerator="1", denominator="2")
                else:
                    v["value"] = "1"
                batch.append(v)
        t0 = time.perf_counter()
        status, _ = call(base, "POST", "/api/v1/values", {"values": batch}, tok["xiashi"])
        took = time.perf_counter() - t0
        time.sleep(0.3)
        stop.set()
        th.join()
        codes = {}
        for s, _ in answers:
            codes[s] = codes.get(s, 0) + 1
        worst = max(t for _, t in answers) * 1000
        print(f"3. a batch of {len(batch)} figures: {status} in {took * 1000:.0f} ms; meanwhile the other town "
              f"saved {len(answers)} times: {codes}, slowest {worst:.0f} ms")
        bad = [s for s, _ in answers if s >= 500 and s != 503]
        if bad:
            raise SystemExit(f"the other town got {bad}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
