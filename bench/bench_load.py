"""Load on one server (issue 12, point 5): many sessions through Streamlit's own websocket protocol.

    python bench/bench_load.py [--sessions 5 10 20] [--requests 3] [--repeats 3] [--distinct 500] [--backend onnx]

Starts its own Streamlit server and drives it without a browser: each session is a websocket at
/_stcore/stream that sends what the browser sends (a BackMsg rerun_script with the page's query
string, protobufs from streamlit.proto) and reads ForwardMsgs until script_finished. Every
request opens Explore on a distinct text through ?text= (2 KB by default), so each one runs the
entropy model. Writes bench/results/load.json and prints a summary.

- concurrency: N sessions at once, `--requests` texts each, one after another per session:
  per-request server time, p50/p95 time to the first chart (the explorer component's element),
  errors (an exception element, or no script_finished), total throughput against one session
  alone measured just before it (target: >= 0.8x; the median of `--repeats` such pairs), server
  RSS before and after.
- distinct: `--distinct` different inputs in a row from one session; RSS after a warm-up of
  50 and at the end (target: growth < 100 MB).
- fairness: a session opens a 100 KB text; once its scoring has started, another session opens
  200 bytes. The server runs with BLT_POOL_TRACE, so the pool writes every enqueue and grant:
  the most grants any request of the small session waited for is the number of chunks it waited
  behind (target: at most one). Its latency against the same 200 bytes on an idle server is
  reported too (on a busy machine the two sessions also share the CPU outside model calls).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.e2e.conftest import free_port, start_server  # noqa: E402  (one way to start the app)

CHART = {"bidi_component", "component_instance", "iframe", "plotly_chart"}  # the first result Explore draws
TARGETS = {"throughput_ratio_20": 0.8, "rss_growth_mb_500": 100, "fairness_chunks": 1, "errors": 0}
CHUNK_BYTES = 4096  # one model call of one long input (score_bytes' chunk_tokens)
TRACE = Path("/tmp") / f"blt_pool_trace_{os.getpid()}.log"  # the server's pool events (BLT_POOL_TRACE)


def text(i: int, n: int) -> str:
    """A distinct printable text of n bytes (words of random letters, so BPE-like and model-like work is real)."""
    rng = np.random.default_rng(i)
    letters = rng.integers(97, 123, n, dtype=np.uint8)
    letters[rng.random(n) < 0.17] = 32
    return letters.tobytes().decode()


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


class Session:
    """One browser-less Streamlit session over the websocket."""

    def __init__(self, ws_url: str, backend: str):
        self.ws_url, self.backend = ws_url, backend
        self.ws = None

    async def __aenter__(self):
        self.ws = await websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=None,
                                           open_timeout=60, ping_interval=None)
        return self

    async def __aexit__(self, *exc):
        await self.ws.close()

    async def open(self, body: str, *, timeout: float = 600) -> dict:
        """Open Explore on `body`; returns seconds to the first chart and to script_finished, and any error."""
        qs = urlencode({"text": body, "backend": self.backend})
        msg = BackMsg(rerun_script=ClientState(query_string=qs, page_script_hash=""))
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        first_chart, error, started = None, None, False
        deadline = t0 + timeout
        while True:
            try:
                raw = await asyncio.wait_for(self.ws.recv(), timeout=max(1.0, deadline - time.perf_counter()))
            except (asyncio.TimeoutError, websockets.ConnectionClosed) as e:
                return {"first_chart_s": first_chart, "server_s": None, "error": f"{type(e).__name__}"}
            fm = ForwardMsg.FromString(raw)
            kind = fm.WhichOneof("type")
            if kind == "new_session":
                started = True
            elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                el = fm.delta.new_element.WhichOneof("type")
                if el == "exception" and error is None:
                    error = fm.delta.new_element.exception.message[:200]
                if el in CHART and first_chart is None:
                    first_chart = time.perf_counter() - t0
            elif kind == "script_finished" and started:
                # 0: finished successfully; a rerun or a stop would be another status
                done = time.perf_counter() - t0
                if fm.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY and error is None:
                    error = f"script_finished status {fm.script_finished}"
                if first_chart is None and error is None:
                    error = "no chart drawn"
                return {"first_chart_s": first_chart, "server_s": done, "error": error}


async def run_sessions(ws_url: str, backend: str, n: int, requests: int, seed: int) -> list[dict]:
    async def one(s: int) -> list[dict]:
        out = []
        try:
            async with Session(ws_url, backend) as sess:
                for r in range(requests):
                    out.append(await sess.open(text(seed + s * 1000 + r, ARGS.bytes)))
        except Exception as e:  # a refused connection counts as an error of each request it would have made
            out += [{"first_chart_s": None, "server_s": None, "error": repr(e)}] * (requests - len(out))
        return out

    results = await asyncio.gather(*(one(s) for s in range(n)))
    return [r for rs in results for r in rs]


def summary(results: list[dict], wall: float) -> dict:
    ok = [r for r in results if not r["error"]]
    charts = sorted(r["first_chart_s"] for r in ok if r["first_chart_s"] is not None)
    servers = [r["server_s"] for r in ok]
    pct = (lambda xs, q: round(float(np.percentile(xs, q)), 3) if xs else None)
    return {"requests": len(results), "errors": len(results) - len(ok),
            "error_examples": sorted({r["error"] for r in results if r["error"]})[:3],
            "wall_s": round(wall, 2), "throughput_rps": round(len(ok) / wall, 3),
            "first_chart_p50_s": pct(charts, 50), "first_chart_p95_s": pct(charts, 95),
            "server_time_mean_s": round(statistics.mean(servers), 3) if servers else None,
            "server_time_p95_s": pct(servers, 95)}


async def concurrency(ws_url: str, pid: int, backend: str) -> dict:
    """Each N is measured `--repeats` times, each right after its own single-session baseline (twice
    the requests of one session), and the ratio is the median of those side-by-side pairs: the
    2-core machine's speed drifts from minute to minute, and one short baseline moved the ratio
    between 0.78 and 0.86 from run to run."""
    out = {}
    for n in ARGS.sessions:
        pairs = []
        for rep in range(ARGS.repeats):
            t0 = time.perf_counter()
            single = summary(await run_sessions(ws_url, backend, 1, ARGS.requests * 2, seed=1_000 * rep + 1),
                             time.perf_counter() - t0)
            before = rss_mb(pid)
            t0 = time.perf_counter()
            res = await run_sessions(ws_url, backend, n, ARGS.requests, seed=100_000 * n + 10_000_000 * rep)
            s = summary(res, time.perf_counter() - t0)
            s.update(rss_before_mb=round(before, 1), rss_after_mb=round(rss_mb(pid), 1), single=single,
                     throughput_ratio=round(s["throughput_rps"] / single["throughput_rps"], 3))
            pairs.append(s)
            print(f"{n:>3} sessions, repeat {rep + 1}: {s}", flush=True)
        ratios = [s["throughput_ratio"] for s in pairs]
        median = sorted(pairs, key=lambda s: s["throughput_ratio"])[len(pairs) // 2]  # the median pair itself
        out[f"sessions_{n}"] = {**median, "errors": sum(s["errors"] + s["single"]["errors"] for s in pairs),
                                "requests": sum(s["requests"] for s in pairs), "ratios": ratios,
                                "throughput_ratio": round(float(np.median(ratios)), 3)}
    out["single"] = out[f"sessions_{ARGS.sessions[0]}"]["single"]
    return out


async def distinct(ws_url: str, pid: int, backend: str) -> dict:
    warm = min(50, ARGS.distinct)
    rss = []
    errors = 0
    async with Session(ws_url, backend) as sess:
        for i in range(ARGS.distinct):
            r = await sess.open(text(7_000_000 + i, ARGS.bytes))
            errors += bool(r["error"])
            if i + 1 == warm:
                rss.append(("after_warmup", rss_mb(pid)))
            if (i + 1) % 50 == 0:
                print(f"distinct {i + 1}: RSS {rss_mb(pid):.0f} MB", flush=True)
    end = rss_mb(pid)
    return {"inputs": ARGS.distinct, "warmup": warm, "errors": errors, "rss_after_warmup_mb": round(rss[0][1], 1),
            "rss_end_mb": round(end, 1), "rss_growth_after_warmup_mb": round(end - rss[0][1], 1)}


def grants_waited(trace: Path, since: float, until: float) -> list[int]:
    """Per ticket enqueued in [since, until]: how many slots were granted to others before its own grant."""
    events = [line.split() for line in trace.read_text().splitlines()]
    events = [(float(t), kind, int(seq)) for t, kind, seq, *_ in events if since <= float(t) <= until]
    waited, open_tickets = [], {}
    for _, kind, seq in events:
        if kind == "enqueue":
            open_tickets[seq] = 0
        else:
            if seq in open_tickets:
                waited.append(open_tickets.pop(seq))
            for other in open_tickets:
                open_tickets[other] += 1
    return waited


async def fairness(ws_url: str, backend: str) -> dict:
    small = text(42, 200)
    async with Session(ws_url, backend) as a:
        alone = [(await a.open(text(43 + i, 200)))["server_s"] for i in range(3)]
    big_text = text(44, 100_000)
    async with Session(ws_url, backend) as big, Session(ws_url, backend) as b:
        t0 = time.perf_counter()
        big_task = asyncio.create_task(big.open(big_text))
        await asyncio.sleep(ARGS.fair_delay)  # the big input's scoring is under way
        since = time.time()
        r = await b.open(small)
        until = time.time()
        big_r = await big_task
    big_s = big_r["server_s"] or (time.perf_counter() - t0)
    chunk_s = big_s / -(-len(big_text.encode()) // CHUNK_BYTES)
    extra = r["server_s"] - statistics.median(alone)
    waited = grants_waited(TRACE, since, until)
    return {"small_alone_s": round(statistics.median(alone), 3), "small_behind_big_s": round(r["server_s"], 3),
            "big_s": round(big_s, 2), "big_chunk_s": round(chunk_s, 3),
            "extra_latency_in_chunks": round(max(extra, 0.0) / chunk_s, 2),
            "tickets_in_window": len(waited), "chunks_waited": max(waited, default=0),
            "errors": int(bool(r["error"] or big_r["error"]))}


async def main_async(port: int, pid: int) -> dict:
    ws_url = f"ws://127.0.0.1:{port}/_stcore/stream"
    async with Session(ws_url, ARGS.backend) as s:  # load the model before anything is timed
        warm = await s.open(text(0, 300))
        if warm["error"]:
            raise SystemExit(f"the app failed on a warm-up request: {warm['error']}")
    out = {"fairness": await fairness(ws_url, ARGS.backend)}
    print("fairness:", out["fairness"], flush=True)
    out["concurrency"] = await concurrency(ws_url, pid, ARGS.backend)
    if ARGS.distinct:
        out["distinct"] = await distinct(ws_url, pid, ARGS.backend)
        print("distinct:", out["distinct"], flush=True)
    return out


def verdict(out: dict) -> dict:
    c, largest = out["concurrency"], f"sessions_{max(ARGS.sessions)}"
    v = {f"throughput_ratio_{max(ARGS.sessions)}": c[largest]["throughput_ratio"],
         "errors": sum(s["errors"] for k, s in c.items() if k != "single") + out["fairness"]["errors"],
         "fairness_chunks": out["fairness"]["chunks_waited"]}
    if "distinct" in out:
        v["rss_growth_mb_500"] = out["distinct"]["rss_growth_after_warmup_mb"]
    return v


def main() -> None:
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sessions", type=int, nargs="+", default=[5, 10, 20])
    p.add_argument("--requests", type=int, default=3, help="texts per session in the concurrency runs")
    p.add_argument("--repeats", type=int, default=3, help="side-by-side (single, N sessions) pairs per N")
    p.add_argument("--bytes", type=int, default=2000, help="bytes per text")
    p.add_argument("--distinct", type=int, default=500, help="distinct inputs in a row (0: skip)")
    p.add_argument("--fair-delay", type=float, default=3.0, help="seconds between the big and the small request")
    p.add_argument("--backend", default="onnx")
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "load.json"))
    ARGS = p.parse_args()
    port = free_port()
    os.environ["BLT_POOL_TRACE"] = str(TRACE)  # the server inherits it
    server = start_server(port)
    try:
        t0 = time.time()
        out = asyncio.run(main_async(port, server.pid))
        out["verdict"] = verdict(out)
        out["targets"] = TARGETS
        out["machine"] = {"platform": platform.platform(), "cpus": os.cpu_count(),
                          "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
                          "worker_slots": os.environ.get("BLT_WORKER_SLOTS", "default (cores // ONNX threads)"),
                          "note": "Streamlit gives no client address for local connections, so the pool "
                                  "takes turns by session here (each session one visitor)"}
        out["args"] = {k: v for k, v in vars(ARGS).items() if k != "out"}
        out["seconds"] = round(time.time() - t0, 1)
    finally:
        server.terminate()
        server.wait(timeout=30)
    Path(ARGS.out).write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out["verdict"]), "targets", json.dumps(TARGETS))


ARGS: argparse.Namespace

if __name__ == "__main__":
    main()
