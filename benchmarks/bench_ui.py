"""The web UI at scale: page and API latency with 10,000 runs and 10,000 pending approvals.

    python benchmarks/bench_ui.py [--runs 10000] [--store URL] [--requests 60]

1. Fills a store with `--runs` runs of a claims pipeline whose model (scripted) misreads
   every amount, so its gate escalates each one: as many approvals wait for a person.
   (The default store is a fresh SQLite file; `--store postgresql://...` uses that.)
2. Starts `seamline ui` on it in its own process (the real command, with this file's
   pipeline), and times requests from this one over loopback: the inbox's first page
   (HTML and JSON), a filtered page, a deep page (by cursor), an approval's page, a run's
   page (a different run each time), the runs list, and a decision round trip. The
   floor is `GET /api/me` (a token check and a tiny JSON answer) on the same server.
3. Reports p50 and p95 per request (and the first, cold, request), each as a ratio to
   the floor, and the server's resident memory (VmRSS, VmHWM) before and after.

Goal (issue 17): inbox first page p50 and run page p50 at most 200 ms on 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2
from pydantic import BaseModel

import seamline as sl
from seamline.testing import ScriptedModel

TOKEN = "bench-reviewer-token-0123456789"


class ClaimDoc(BaseModel):
    text: str


class Claim(BaseModel):
    claimant: str
    amount: float
    policy_id: str
    notes: list[str] = []


class Decision(BaseModel):
    approve: bool
    payout: float


def _misread(request: object) -> Claim:
    text = str(getattr(request, "prompt", request))
    policy = re.search(r"policy (\S+),", text)
    return Claim(claimant="Ana Ruiz", amount=15.5, policy_id=policy.group(1) if policy else "?")


pipe = sl.Pipeline("claims-bench", inputs={"doc": ClaimDoc}, model=ScriptedModel(_misread))


@pipe.step
async def claim(doc: ClaimDoc, ctx: sl.StepContext) -> Claim:
    return await ctx.generate(Claim, f"Extract the claim from:\n{doc.text}")


@pipe.step
def decision(claim: Claim) -> Decision:
    return Decision(approve=claim.amount <= 20_000, payout=min(claim.amount, 20_000))


def _amount_in(claim: Claim, doc: ClaimDoc) -> bool | str:
    found = {float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", doc.text)}
    return claim.amount in found or f"amount {claim.amount:g} is not in the document"


pipe.gate(
    "claim",
    sl.check("policy id is in the document", lambda claim, doc: claim.policy_id in doc.text),
    sl.check("amount is in the document", _amount_in),
    on_fail=sl.retry(1, feedback=True).then(sl.escalate_to_human()),
)
pipe.approval("decision")


async def fill(url: str, runs: int) -> list[str]:
    store = await sl.open_store(url)
    ids: list[str] = []
    try:
        began = time.perf_counter()
        for start in range(0, runs, 200):
            batch = [
                pipe.run(
                    {"doc": ClaimDoc(text=f"Claimant {n}, policy PX-{n}, claims ${15_750 + n:,} for storm damage.")},
                    store=store,
                )
                for n in range(start, min(start + 200, runs))
            ]
            ids += [r.run_id for r in await asyncio.gather(*batch)]
            print(f"\r  {len(ids):,} runs written ({time.perf_counter() - began:.0f} s)", end="", flush=True)
        print()
        pending = await store.pending_approvals(limit=runs + 1)
        print(f"  {len(await store.runs(limit=runs + 1)):,} runs, {len(pending):,} pending approvals")
    finally:
        await store.close()
    return ids


def memory(pid: int) -> dict[str, float]:
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024
    return found


async def timed(client: httpx2.AsyncClient, method: str, path: str, **kw: object) -> float:
    began = time.perf_counter()
    answer = await client.request(method, path, **kw)  # type: ignore[arg-type]
    took = time.perf_counter() - began
    if answer.status_code >= 400:
        raise SystemExit(f"{method} {path}: {answer.status_code} {answer.text[:300]}")
    return took


async def measure(base: str, ids: list[str], requests: int, pid: int) -> None:
    rng = random.Random(17)
    headers = {"authorization": f"Bearer {TOKEN}"}
    async with httpx2.AsyncClient(base_url=base, headers=headers, timeout=60) as c:
        before = memory(pid)
        first = (await c.get("/api/approvals", params={"limit": 25})).json()
        middle = (await c.get("/api/approvals", params={"limit": 25, "after": first["items"][-1]["approval_id"]})).json()
        for _ in range(200):  # walk in 200 pages, to page from the middle of the inbox
            page = (await c.get("/api/approvals", params={"limit": 25, "after": middle["items"][-1]["approval_id"]})).json()
            if not page["next"]:
                break
            middle = page
        deep = middle["items"][-1]["approval_id"]
        one_item = rng.choice(first["items"])["approval_id"]
        cases: dict[str, object] = {
            "floor: GET /api/me": lambda: ("/api/me", {}),
            "inbox, first page (HTML)": lambda: ("/inbox", {}),
            "inbox, first page (JSON)": lambda: ("/api/approvals", {"limit": 25}),
            "inbox, filtered (pipeline, step, reason)": lambda: (
                "/inbox",
                {"pipeline": "claims-bench", "step": "claim", "reason": "escalation"},
            ),
            "inbox, a page 5,000 deep (cursor)": lambda: ("/inbox", {"after": deep}),
            "an approval's page": lambda: (f"/inbox/{one_item}", {}),
            "a run's page (a different run each time)": lambda: (f"/runs/{rng.choice(ids)}", {}),
            "a run, JSON": lambda: (f"/api/runs/{rng.choice(ids)}", {}),
            "runs list, first page (HTML)": lambda: ("/runs", {}),
        }
        results: dict[str, tuple[float, list[float]]] = {}
        for name, make in cases.items():
            path, params = make()  # type: ignore[operator]
            cold = await timed(c, "GET", path, params=params)
            samples = []
            for _ in range(requests):
                path, params = make()  # type: ignore[operator]
                samples.append(await timed(c, "GET", path, params=params))
            results[name] = (cold, samples)
        # A decision round trip: the approval's page, then its decision (resume included).
        decisions = []
        escalated = {"limit": 20, "reason": "escalation"}
        for item in (await c.get("/api/approvals", params=escalated)).json()["items"]:
            began = time.perf_counter()
            answer = await c.post(
                f"/api/approvals/{item['approval_id']}/decision",
                json={"decision": "edit", "fingerprint": item["fingerprint"],
                      "edit": {"claimant": "Ana Ruiz", "amount": 15750, "policy_id": "PX-1"}},
            )
            decisions.append(time.perf_counter() - began)
            assert answer.status_code == 200, answer.text
        after = memory(pid)

    floor = statistics.median(results["floor: GET /api/me"][1])
    print(f"\n{'request':44} {'cold':>9} {'p50':>9} {'p95':>9} {'p50/floor':>10}")
    for name, (cold, samples) in results.items():
        p50 = statistics.median(samples)
        p95 = sorted(samples)[int(len(samples) * 0.95) - 1]
        print(f"{name:44} {cold * 1000:7.1f}ms {p50 * 1000:7.1f}ms {p95 * 1000:7.1f}ms {p50 / floor:9.1f}x")
    print(f"{'decide an approval (edit; the run resumes)':44} {'':>9} {statistics.median(decisions) * 1000:7.1f}ms")
    inbox = statistics.median(results["inbox, first page (HTML)"][1]) * 1000
    run = statistics.median(results["a run's page (a different run each time)"][1]) * 1000
    print(f"\ngoal ≤ 200 ms p50: inbox first page {inbox:.1f} ms {'met' if inbox <= 200 else 'NOT met'}; "
          f"run page {run:.1f} ms {'met' if run <= 200 else 'NOT met'}")
    print(
        f"server memory: {before['VmRSS']:.0f} MB resident before the requests, "
        f"{after['VmRSS']:.0f} MB after (peak {after['VmHWM']:.0f} MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--store", help="a store URL (default: a new SQLite file)")
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="seamline-bench-ui-"))
    url = args.store or f"sqlite:///{folder}/runs.db"
    print(f"filling {url} with {args.runs:,} runs waiting on a person")
    ids = asyncio.run(fill(url, args.runs))
    tokens = folder / "tokens.txt"
    tokens.write_text(f"{TOKEN} reviewer bench\n")
    server = subprocess.Popen(
        [
            sys.executable, "-m", "seamline", "ui",
            "--store", url,
            "--pipeline", f"{Path(__file__).resolve()}:pipe",
            "--token-file", str(tokens),
            "--port", str(args.port),
        ],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{args.port}"
        for _ in range(300):
            try:
                httpx2.get(f"{base}/api/me", headers={"authorization": f"Bearer {TOKEN}"}, timeout=1)
                break
            except httpx2.HTTPError:
                if server.poll() is not None:
                    raise SystemExit(f"seamline ui stopped: {server.stderr.read() if server.stderr else ''}") from None
                time.sleep(0.1)
        asyncio.run(measure(base, ids, args.requests, server.pid))
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"(store and tokens in {folder})")
    shots = Path(__file__).resolve().parent.parent / "tests" / "web" / "screenshots"
    print(f"screenshots of the inbox, an approval and a run page (saved by tests/web/test_browser.py): {shots}")


if __name__ == "__main__":
    main()
