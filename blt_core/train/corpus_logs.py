"""Text with repeated fields and long-range reuse: logs, tables, changelogs and long source files.

A 512-byte window over such text holds earlier copies of what comes next (a host name, a date
prefix, an identifier defined above), which is what teaches a byte model to copy.

>>> synth_log(seed=1, n_lines=2).count("\\n")
2
"""
from __future__ import annotations

import gzip
from pathlib import Path
from typing import Iterator

import numpy as np

from blt_core.train.corpus_pinned import in_build
from blt_core.train.corpus_sources import Doc, _files
from blt_core.train.text_clean import split_unit

HOSTS = ["web01", "web02", "db-primary", "cache-3", "worker-a"]
DAEMONS = [("sshd", "Accepted publickey for {user} from {ip} port {port} ssh2"),
           ("sshd", "Disconnected from user {user} {ip} port {port}"),
           ("CRON", "({user}) CMD (/usr/local/bin/backup --quiet --target /srv/backup/{user})"),
           ("kernel", "[{uptime}] eth0: link up, 1000Mbps, full-duplex, lpa 0x45E1"),
           ("systemd", "Started Session {port} of User {user}."),
           ("nginx", "upstream timed out (110: Connection timed out) while reading response header "
                     "from upstream, client: {ip}, server: example.org, request: \"GET {path} HTTP/1.1\"")]
PATHS = ["/", "/index.html", "/api/v1/items", "/api/v1/items/{n}", "/static/app.js", "/static/style.css",
         "/login", "/search?q=byte+latent+transformer", "/feed.xml", "/robots.txt"]
USERS = ["alice", "bob", "carol", "deploy", "backup", "www-data"]
AGENTS = ["Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
          "curl/7.88.1", "Wget/1.21.3", "python-requests/2.31.0"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def synth_log(*, seed: int, n_lines: int) -> str:
    """A syslog or web access log (chosen by the seed) from a seeded generator: fixed formats,
    a few hosts, users and paths reused, time moving forward. Same seed, same text."""
    rng = np.random.default_rng(seed)
    t = int(rng.integers(0, 300 * 86400))
    ips = [f"{rng.integers(1, 224)}.{rng.integers(0, 256)}.{rng.integers(0, 256)}.{rng.integers(1, 255)}"
           for _ in range(6)]
    access = seed % 2 == 0
    out = []
    for _ in range(n_lines):
        t += int(rng.integers(0, 40))
        day, sec = divmod(t, 86400)
        month, dom = MONTHS[day // 31 % 12], day % 31 + 1
        hms = f"{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}"
        ip = ips[int(rng.integers(len(ips)))]
        path = PATHS[int(rng.integers(len(PATHS)))].format(n=int(rng.integers(1, 500)))
        if access:
            status = [200, 200, 200, 304, 404, 500][int(rng.integers(6))]
            out.append(f'{ip} - - [{dom:02d}/{month}/2024:{hms} +0000] "GET {path} HTTP/1.1" {status} '
                       f'{int(rng.integers(0, 40000)) if status == 200 else 0} "-" '
                       f'"{AGENTS[int(rng.integers(len(AGENTS)))]}"')
        else:
            daemon, msg = DAEMONS[int(rng.integers(len(DAEMONS)))]
            text = msg.format(user=USERS[int(rng.integers(len(USERS)))], ip=ip, port=int(rng.integers(1024, 65535)),
                              uptime=f"{t % 100000}.{int(rng.integers(0, 999999)):06d}", path=path)
            out.append(f"{month} {dom:2d} {hms} {HOSTS[int(rng.integers(len(HOSTS)))]} {daemon}"
                       f"[{int(rng.integers(100, 32000))}]: {text}")
    return "\n".join(out) + "\n"


def read_synth_logs(*, n_docs: int = 120, n_lines: int = 90) -> Iterator[Doc]:
    for seed in range(n_docs):
        yield Doc(f"synthetic-logs/seed{seed}", "synthetic-logs", "blt_core.train.corpus_logs", "data", "data",
                  synth_log(seed=seed, n_lines=n_lines).encode("utf-8"))


def read_changelogs(x: Path, packages: set[str] | None = None) -> Iterator[Doc]:
    """Debian changelogs of the fetched packages (of ``packages`` only, when given: other folders
    extracted there must not change a build), entries with fixed trailer lines, 24 KB each."""
    dirs = sorted(p for p in x.iterdir() if p.is_dir() and in_build(p.name, packages)) if x.exists() else []
    for pkg_dir in dirs:
        for path in _files(pkg_dir / "usr/share/doc", "changelog.Debian.gz"):
            text = gzip.decompress(path.read_bytes())[:24_000].decode("utf-8", "replace")
            yield Doc(f"changelogs/{pkg_dir.name}", "changelogs", pkg_dir.name, "data", "data",
                      text.encode("utf-8"))


def read_tables(site: Path) -> Iterator[Doc]:
    """Tab- and comma-separated tables of the pinned wheels (zone tables, sample CSVs)."""
    for pattern in ("*.tab", "*.csv", "*.tsv"):
        for path in _files(site, pattern) if site.exists() else []:
            rel = path.relative_to(site)
            yield Doc(f"tables/site-packages/{rel}", "tables", rel.parts[0], "data", "data",
                      path.read_bytes()[:48_000])


def read_long_sources(site: Path, *, min_bytes: int = 40_000) -> Iterator[Doc]:
    """Long Python modules of the pinned wheels, whole: definitions and their reuse far apart."""
    paths = [p for p in _files(site, "*.py") if p.stat().st_size >= min_bytes] if site.exists() else []
    for path in sorted(paths, key=lambda p: split_unit(str(p.relative_to(site)))):
        rel = path.relative_to(site)
        yield Doc(f"long-source/site-packages/{rel}", "long-source", rel.parts[0], "code", "code",
                  path.read_bytes())


def repeat_passages(text: str, *, seed: int, lo: int = 80, hi: int = 300) -> str:
    """Passages of ``text`` (whole lines, ``lo``..``hi`` bytes) each followed, within a 512-byte
    window, by a verbatim copy: right after it, or after the next passage (A A B B or A B A B).
    Quotes, refrains and pasted blocks repeat like this in real text; paragraph dedup removed
    such repeats from the cleaned sources, and a byte model learns to copy only from them.

    >>> repeat_passages("one two three four\\nfive six seven\\n", seed=0, lo=5, hi=40)
    'one two three four\\n\\nfive six seven\\n\\none two three four\\n\\nfive six seven'
    """
    rng = np.random.default_rng(seed)
    passages, cur = [], ""
    for line in text.split("\n"):
        if not line.strip():
            continue
        cur = f"{cur}\n{line}" if cur else line
        if len(cur.encode("utf-8")) >= lo:
            if len(cur.encode("utf-8")) <= hi:
                passages.append(cur)
            cur = ""
    out = []
    for i in range(0, len(passages) - 1, 2):
        a, b = passages[i], passages[i + 1]
        out += [a, a, b, b] if rng.random() < 0.5 else [a, b, a, b]
    return "\n\n".join(out)


def read_repeats(docs: list[Doc], *, max_bytes: int) -> Iterator[Doc]:
    """``repeat_passages`` over train text documents (caller passes them), in hash order,
    until ``max_bytes``; each keeps its source's language and kind."""
    size = 0
    for d in sorted(docs, key=lambda d: split_unit(d.id)):
        if size >= max_bytes:
            return
        text = repeat_passages(d.data.decode("utf-8")[:6000], seed=int(split_unit(d.id) * 2**32))
        if text:
            size += len(text.encode("utf-8"))
            yield Doc(f"repeats/{d.id}", "repeats", d.package, d.lang, d.kind, text.encode("utf-8"), script=d.script)
