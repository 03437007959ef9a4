"""`mri eval feedback`: what the 👍/👎 votes say, with confidence intervals and plots.

Like-rate = likes / (likes + dislikes), per tagger, catalog version, rank position, platform and
chat kind, each with a 95% Wilson interval; votes per day; and, for replies that interleaved two
taggers (team draft), which tagger wins, a two-sided sign test, and roughly how many more decided
replies would settle it. Writes summary.md, summary.html and PNG plots into the output folder.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scipy import stats as st
from sqlalchemy import select

from core.db.database import Database
from core.db.models import Chat, RecommendedItem, Request, Vote
from core.interleave import winner

Z95 = 1.959963984540054


@dataclass(frozen=True)
class VoteRow:
    value: int
    rank: int
    tagger: str
    catalog: str
    platform: str
    chat_kind: str
    day: dt.date
    request: int
    source: str | None  # the interleaving team that showed this song, if any


@dataclass(frozen=True)
class Rate:
    group: str
    likes: int
    dislikes: int

    @property
    def n(self) -> int:
        return self.likes + self.dislikes

    @property
    def rate(self) -> float:
        return self.likes / self.n if self.n else float("nan")

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.likes, self.n)


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion (95% by default)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Interleaving:
    teams: tuple[str, str]
    wins: tuple[int, int]
    ties: int
    p_value: float
    more_needed: int | None  # decided replies still needed for 80% power at α=0.05; None = n/a

    @property
    def leader(self) -> str | None:
        if self.wins[0] == self.wins[1]:
            return None
        return self.teams[0] if self.wins[0] > self.wins[1] else self.teams[1]


def replies_needed(p: float, alpha: float = 0.05, power: float = 0.8) -> int | None:
    """Decided replies a two-sided sign test needs to detect a win share `p` (normal approx.)."""
    if not 0 < p < 1 or abs(p - 0.5) < 1e-9:
        return None
    za, zb = st.norm.ppf(1 - alpha / 2), st.norm.ppf(power)
    n = ((za * 0.5 + zb * math.sqrt(p * (1 - p))) / (p - 0.5)) ** 2
    return math.ceil(n)


@dataclass
class Report:
    since: dt.datetime | None
    rows: list[VoteRow]
    by: dict[str, list[Rate]] = field(default_factory=dict)
    per_day: list[tuple[dt.date, int, int]] = field(default_factory=list)
    interleaving: list[Interleaving] = field(default_factory=list)

    @property
    def overall(self) -> Rate:
        likes = sum(1 for r in self.rows if r.value > 0)
        return Rate("all", likes, len(self.rows) - likes)


def load_rows(db: Database, since: dt.datetime | None = None) -> list[VoteRow]:
    """Every vote on a song (whole-list votes are reported apart: rank 0)."""
    query = (
        select(
            Vote.value,
            RecommendedItem.rank,
            RecommendedItem.reasons,
            Request.tagger,
            Request.catalog_version,
            Chat.platform,
            Chat.kind,
            Vote.updated_at,
            Request.id,
        )
        .join(RecommendedItem, RecommendedItem.id == Vote.item_id)
        .join(Request, Request.id == RecommendedItem.request_id)
        .join(Chat, Chat.id == Request.chat_id)
        .order_by(Vote.updated_at)
    )
    if since is not None:
        query = query.where(Vote.updated_at >= since)
    with db.reader() as s:
        rows = s.execute(query).all()
    return [
        VoteRow(
            value=value,
            rank=rank,
            tagger=tagger or "?",
            catalog=catalog or "?",
            platform=platform,
            chat_kind=kind,
            day=updated.date(),
            request=request,
            source=(reasons or {}).get("source"),
        )
        for value, rank, reasons, tagger, catalog, platform, kind, updated, request in rows
    ]


def rates(rows: Iterable[VoteRow], key: str) -> list[Rate]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        group = str(getattr(r, key))
        counts[group][0 if r.value > 0 else 1] += 1
    ordered = sorted(counts, key=lambda g: (int(g) if g.isdigit() else math.inf, g))
    return [Rate(g, *counts[g]) for g in ordered]


def interleaving(rows: Sequence[VoteRow]) -> list[Interleaving]:
    """Per compared pair (an interleaved reply's tagger is "A|B"): replies won by each team
    (credit = likes − dislikes on the songs it placed), ties, and a two-sided sign test."""
    per_request: dict[int, list[tuple[str, int]]] = defaultdict(list)
    pair_of: dict[int, tuple[str, str]] = {}
    for r in rows:
        if r.source is not None and "|" in r.tagger:
            a, b = r.tagger.split("|", 1)
            pair_of[r.request] = (a, b)
            per_request[r.request].append((r.source, r.value))
    replies: dict[tuple[str, str], list[str | None]] = defaultdict(list)
    for request, votes in per_request.items():
        pair = pair_of[request]
        replies[pair].append(winner(votes, pair))
    out = []
    for (a, b), won in sorted(replies.items()):
        wins = (won.count(a), won.count(b))
        decided = sum(wins)
        p_value = float(st.binomtest(wins[0], decided, 0.5).pvalue) if decided else 1.0
        needed = None
        if decided:
            total = replies_needed(max(wins) / decided)
            needed = None if total is None else max(0, total - decided)
        out.append(Interleaving((a, b), wins, won.count(None), p_value, needed))
    return out


def build_report(db: Database, since: dt.datetime | None = None) -> Report:
    rows = load_rows(db, since)
    songs = [r for r in rows if r.rank > 0]
    report = Report(since, songs)
    if not rows:
        return report
    for key in ("tagger", "catalog", "rank", "platform", "chat_kind"):
        report.by[key] = rates(songs, key)
    report.by["whole list"] = rates((r for r in rows if r.rank == 0), "tagger")
    days: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        days[r.day][0 if r.value > 0 else 1] += 1
    report.per_day = [(d, *days[d]) for d in sorted(days)]  # type: ignore[misc]
    report.interleaving = interleaving(songs)
    return report


# -- rendering ----------------------------------------------------------------------------------


def _fmt(rate: Rate) -> list[str]:
    lo, hi = rate.interval
    return [
        rate.group,
        str(rate.likes),
        str(rate.dislikes),
        f"{rate.rate:.1%}",
        f"{lo:.1%}–{hi:.1%}",
    ]


def markdown(report: Report, plots: Sequence[str] = ()) -> str:
    since = f" since {report.since:%Y-%m-%d}" if report.since else ""
    lines = [f"# MRI feedback report{since}", ""]
    if not report.rows and not report.per_day:
        lines += ["No votes yet — send the bot a photo and tap 👍/👎, then run this again.", ""]
        return "\n".join(lines)
    o = report.overall
    lo, hi = o.interval
    lines += [
        f"**{o.n} votes on songs, like-rate {o.rate:.1%} (95% CI {lo:.1%}–{hi:.1%}).**",
        "",
        "Like-rate = 👍 / (👍 + 👎); intervals are 95% Wilson score intervals. Groups whose",
        "intervals do not overlap differ; overlapping ones need more votes.",
        "",
    ]
    for key, table in report.by.items():
        if not table:
            continue
        lines += [
            f"## By {key}",
            "",
            f"| {key} | 👍 | 👎 | like-rate | 95% CI |",
            "|---|---|---|---|---|",
        ]
        lines += ["| " + " | ".join(_fmt(r)) + " |" for r in table]
        lines.append("")
    if report.interleaving:
        lines += ["## Interleaved A/B (team draft)", ""]
        lines += [
            "| A | B | A wins | B wins | ties | p (sign test) | verdict |",
            "|---|---|---|---|---|---|---|",
        ]
        for x in report.interleaving:
            if x.p_value < 0.05 and x.leader:
                verdict = f"**{x.leader}** wins"
            elif x.more_needed is not None:
                verdict = f"not settled: about {x.more_needed} more decided replies"
            else:
                verdict = "not settled: no difference so far"
            lines.append(
                f"| {x.teams[0]} | {x.teams[1]} | {x.wins[0]} | {x.wins[1]} | {x.ties} | "
                f"{x.p_value:.3g} | {verdict} |"
            )
        lines.append("")
    if report.per_day:
        lines += ["## Votes per day", "", "| day | 👍 | 👎 |", "|---|---|---|"]
        lines += [f"| {d} | {up} | {down} |" for d, up, down in report.per_day]
        lines.append("")
    lines += [f"![{p}]({p})" for p in plots]
    return "\n".join(lines)


def to_html(md: str) -> str:
    """A small Markdown subset (headings, tables, paragraphs, images) as a standalone page."""
    body: list[str] = []
    table: list[str] = []

    def flush() -> None:
        if table:
            rows = [r.strip("|").split("|") for r in table if not set(r) <= set("|-")]
            head, *rest = rows
            body.append(
                "<table><tr>"
                + "".join(f"<th>{html.escape(c.strip())}</th>" for c in head)
                + "</tr>"
            )
            for r in rest:
                body.append(
                    "<tr>" + "".join(f"<td>{html.escape(c.strip())}</td>" for c in r) + "</tr>"
                )
            body.append("</table>")
            table.clear()

    for line in md.splitlines():
        if line.startswith("|"):
            table.append(line)
            continue
        flush()
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body.append(f"<h{level}>{html.escape(line[level:].strip())}</h{level}>")
        elif line.startswith("![") and "](" in line:
            src = line.split("](", 1)[1].rstrip(")")
            body.append(f'<p><img src="{html.escape(src, quote=True)}" alt=""></p>')
        elif line.strip():
            body.append(f"<p>{html.escape(line.replace('**', ''))}</p>")
    flush()
    style = "body{font-family:sans-serif;max-width:900px;margin:2em auto}td,th{padding:2px 10px}"
    return (
        f"<!doctype html><meta charset=utf-8><title>MRI feedback</title><style>{style}</style>\n"
        + "\n".join(body)
    )


def plot(report: Report, out: Path) -> list[str]:
    """PNG plots into `out`; returns their file names."""
    if not report.rows:
        return []
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    for key, title in (("rank", "Like-rate by rank position"), ("tagger", "Like-rate by tagger")):
        table = report.by.get(key) or []
        if not table:
            continue
        fig, ax = plt.subplots(figsize=(7, 3.5))
        xs = range(len(table))
        rates_ = [r.rate for r in table]
        errs = [[r.rate - r.interval[0] for r in table], [r.interval[1] - r.rate for r in table]]
        ax.bar(xs, rates_, yerr=errs, capsize=3, color="#4c78a8")
        ax.set_xticks(list(xs), [r.group for r in table])
        ax.set_ylim(0, 1)
        ax.set_ylabel("like-rate (95% CI)")
        ax.set_xlabel(key)
        ax.set_title(title)
        fig.tight_layout()
        name = f"like_rate_by_{key}.png"
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        names.append(name)
    if report.per_day:
        fig, ax = plt.subplots(figsize=(7, 3.0))
        days: list[Any] = [d for d, _, _ in report.per_day]  # matplotlib takes dates
        ax.plot(days, [u for _, u, _ in report.per_day], marker="o", label="likes", color="#54a24b")
        ax.plot(
            days, [d for _, _, d in report.per_day], marker="o", label="dislikes", color="#e45756"
        )
        ax.set_ylabel("votes per day")
        ax.legend()
        fig.autofmt_xdate()
        fig.tight_layout()
        fig.savefig(out / "votes_per_day.png", dpi=110)
        plt.close(fig)
        names.append("votes_per_day.png")
    return names


def write_report(db: Database, out: Path, since: dt.datetime | None = None) -> Report:
    """Build the report and write summary.md, summary.html and the plots into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    report = build_report(db, since)
    md = markdown(report, plot(report, out))
    (out / "summary.md").write_text(md + "\n", encoding="utf-8")
    (out / "summary.html").write_text(to_html(md), encoding="utf-8")
    return report
