#!/usr/bin/env python3
"""Crash test: kills `anju serve` with SIGKILL in the middle of a burst of
submissions, starts it again on the same database, and checks that every
value the service acknowledged (HTTP 200) is there, unchanged, in at least the
state it was acknowledged in.

    python3 scripts/crash_test.py [--bin target/debug/anju] [--database URL]
                                  [--rounds 5] [--clients 8] [--burst 1.5]

Without --database it uses a fresh SQLite file in a temporary directory. A
PostgreSQL URL must name an empty database or schema (its tables are created;
the figures go to periods before 2022 — months, then quarters, then whole
years, which a second run would find taken; the service refuses periods that
have not ended, and the plan's own years start in 2022).
Every figure is compared with what the client sent, not with the server's
echo. Exit status: 0 when nothing acknowledged was lost and every round
acknowledged something; 3 when an acknowledged value is missing or changed;
1 for anything else (the server did not start, refused a request, ...).
Talks only to 127.0.0.1; every loop is bounded.
"""

import argparse
from decimal import Decimal
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

PASSWORD = "Kill-9-test-2026"


def start(binary, database, env):
    proc = subprocess.Popen(
        [binary, "serve", "--listen", "127.0.0.1:0", "--database", database],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    line = proc.stdout.readline()
    if "http://" not in line:
        proc.kill()
        sys.exit(f"anju serve did not start: {line!r}")
    addr = line.split("http://")[1].split("(")[0]
    host, port = addr.rsplit(":", 1)
    return proc, (host, int(port))


def call(addr, method, path, body=None, token=None, timeout=30):
    conn = http.client.HTTPConnection(*addr, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"null")
    finally:
        conn.close()


def login(addr, user):
    status, body = call(addr, "POST", "/api/v1/login", {"username": user, "password": PASSWORD})
    if status != 200:
        sys.exit(f"login failed: {status} {body}")
    return body["token"]


# Periods the test may take: all of them end before the plan's first year.
LAST_FREE_YEAR = 2021


def is_test_period(period):
    return period[:4].isdigit() and int(period[:4]) <= LAST_FREE_YEAR


class Slots:
    """Hands out (unit, period) slots no figure of this run has used, so each
    acknowledged figure can be told apart after the restart."""

    def __init__(self, units):
        self.units, self.next, self.lock = units, 0, threading.Lock()

    def take(self):
        with self.lock:
            n, self.next = self.next, self.next + 1
        unit = self.units[n % len(self.units)]
        m = n // len(self.units)
        years = LAST_FREE_YEAR - 1900 + 1
        if m < years * 12:
            return unit, f"{1900 + m // 12}-{m % 12 + 1:02d}"
        m -= years * 12
        if m < years * 4:
            return unit, f"{1900 + m // 4}-Q{m % 4 + 1}"
        m -= years * 4
        if m < years:
            return unit, f"{1900 + m}"
        raise OverflowError("no more free periods")


def burst(addr, token, client, slots, stop, acked, errors):
    """Posts batches of 20 drafts and submits every other batch until the
    server dies or `stop` is set; records what was acknowledged."""
    conn = http.client.HTTPConnection(*addr, timeout=10)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    batch = 0
    while not stop.is_set() and batch < 100000:
        values = []
        for k in range(20):
            unit, period = slots.take()
            values.append({"indicator": 8, "org_unit": unit, "period": period, "value": f"{(batch * 20 + k) % 997 + client}.{k}"})
        sent = {(v["org_unit"], v["period"]): Decimal(v["value"]) for v in values}
        try:
            conn.request("POST", "/api/v1/values", json.dumps({"values": values}), headers)
            resp = conn.getresponse()
            data = resp.read()
            if resp.status != 200:
                errors.append(f"POST /values: {resp.status} {data[:200]!r}")
                return
            got = json.loads(data)["values"]
            for v in got:
                want = sent.get((v["org_unit"], v["period"]))
                if want is None or Decimal(str(v["value"])) != want:
                    errors.append(f"the answer to POST /values names {v} for what was sent as {want}")
                    return
                acked[v["id"]] = (v["indicator"], v["org_unit"], v["period"], want, "draft")
            if batch % 2 == 0:
                ids = [v["id"] for v in got]
                conn.request("POST", "/api/v1/values/submit", json.dumps({"ids": ids}), headers)
                resp = conn.getresponse()
                data = resp.read()
                if resp.status != 200:
                    errors.append(f"POST /submit: {resp.status} {data[:200]!r}")
                    return
                for v in json.loads(data)["values"]:
                    acked[v["id"]] = (v["indicator"], v["org_unit"], v["period"], sent[(v["org_unit"], v["period"])], "submitted")
        except (OSError, http.client.HTTPException):
            return  # the server is gone: what was not acknowledged may or may not be there
        batch += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join("target", "debug", "anju"))
    ap.add_argument("--database")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument(
        "--self-test",
        action="store_true",
        help="change one acknowledged value in the SQLite file behind the service's back after the kill: the test must then fail",
    )
    ap.add_argument("--burst", type=float, default=1.5, help="seconds of submissions before the kill (varied ±50%%)")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="anju-crash-")
    database = args.database or f"sqlite://{os.path.join(tmp, 'anju.db')}"
    env = {k: v for k, v in os.environ.items() if k not in ("ANJU_PLAN", "ANJU_DATABASE", "ANJU_LISTEN")}
    user = f"crash{os.getpid()}"
    add = subprocess.run(
        [args.bin, "user", "add", user, "--role", "taskforce", "--org", "市住建局", "--password-stdin", "--database", database],
        input=PASSWORD + "\n", text=True, capture_output=True, env=env,
    )
    if args.self_test and args.database:
        sys.exit("--self-test works on its own SQLite file only (no --database)")
    if add.returncode != 0:
        sys.exit(f"user add failed: {add.stderr}")

    rng = random.Random(os.getpid())
    slots = None
    total_acked = total_extra = lost = 0
    all_acked = {}
    for run in range(args.rounds):
        proc, addr = start(args.bin, database, env)
        token = login(addr, user)
        if slots is None:
            _, plan = call(addr, "GET", "/api/v1/plan")
            root = plan["reporting_root"]
            units = [o["name"] for o in plan["org_units"] if o["reporting"] and o["parent"] == root]
            slots = Slots(units)
        acked, errors, stop = {}, [], threading.Event()
        threads = [
            threading.Thread(target=burst, args=(addr, token, c, slots, stop, acked, errors))
            for c in range(args.clients)
        ]
        for t in threads:
            t.start()
        time.sleep(args.burst * rng.uniform(0.5, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        stop.set()
        for t in threads:
            t.join(timeout=30)
        if errors:
            sys.exit(f"round {run + 1}: the service refused a request before the kill: {errors[0]}")
        if not acked:
            sys.exit(f"round {run + 1}: nothing was acknowledged before the kill; the test proves nothing")
        all_acked.update(acked)
        if args.self_test and acked:
            import sqlite3

            with sqlite3.connect(database.removeprefix("sqlite://")) as db:
                db.execute("UPDATE value_versions SET value = '-1' WHERE id = ?", (max(acked),))

        # Start again on the same database; every acknowledged value is there.
        proc, addr = start(args.bin, database, env)
        try:
            token = login(addr, user)
            status, body = call(addr, "GET", "/api/v1/values?indicator=8", token=token, timeout=120)
            if status != 200:
                sys.exit(f"listing after restart failed: {status} {body}")
            found = {v["id"]: v for v in body["values"] if is_test_period(v["period"])}
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        round_lost = 0
        for vid, (ind, org, period, value, state) in all_acked.items():
            v = found.get(vid)
            ok = (
                v is not None
                and (v["indicator"], v["org_unit"], v["period"]) == (ind, org, period)
                and v["value"] is not None
                and Decimal(str(v["value"])) == value
                and (state == "draft" or v["state"] == "submitted")
            )
            if not ok:
                round_lost += 1
                if round_lost <= 5:
                    print(f"  LOST or changed: id {vid} acknowledged as {(ind, org, period, value, state)}, found {v}")
        extra = sum(1 for vid in found if vid not in all_acked) - total_extra
        print(
            f"round {run + 1}: killed after {len(acked)} acknowledged values "
            f"({sum(1 for a in acked.values() if a[4] == 'submitted')} submitted); after restart: "
            f"{len(all_acked) - round_lost}/{len(all_acked)} acknowledged so far present, "
            f"{extra} more in flight at the kill (stored, answer lost)"
        )
        total_acked += len(acked)
        total_extra += extra
        lost = max(lost, round_lost)
    print(f"crash test: {args.rounds} kills, {total_acked} acknowledged values, {lost} lost, {total_extra} unacknowledged but stored")
    return 3 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
