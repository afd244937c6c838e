"""The portfolio's numbers: each KPI's per-account effects put on one scale and pooled, the
accounts left out and why, the ROI added up per currency, and the distribution of health.

Everything here is computed from the accounts' results JSON (plain dicts, as `valueproof
batch --json` writes them); nothing is read or rendered.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field

from valueproof.stats.pooling import Pooled, pool

MEASURABLE_METHODS = ("did", "synthetic_did")  # designs with a comparison group
# why an account gives no effect for a KPI (the report words each reason)
LEFT_OUT_REASONS = ("failed", "no_kpi", "no_comparison", "not_measurable", "no_relative")


@dataclass(frozen=True)
class AccountResults:
    """One account of a batch: its summary row's name and status, and its results JSON."""

    name: str
    status: str  # rendered | skipped | failed | interrupted, as the batch's summary says
    results: dict | None  # the parsed results JSON; None when there is none
    reason: str = ""  # why there are no results (the batch's error, an unreadable file)


@dataclass(frozen=True)
class AccountEffect:
    """One account's effect on a KPI, on the pooling scale (KPI units or log ratio)."""

    account: str
    effect: float
    se: float  # from the account's own interval: its width / (2 × its critical value)
    low: float  # the account's own interval, as its report shows it
    high: float
    weight: float = 0.0  # its share of the pooled estimate


@dataclass(frozen=True)
class LeftOut:
    account: str
    reason: str  # one of LEFT_OUT_REASONS
    detail: str = ""  # the batch's error for a failed account


@dataclass(frozen=True)
class KPIPool:
    """One KPI across the portfolio. `scale` is `units` (the KPI's own, shared by every
    account) or `relative` (log of 1 + the relative effect; shown as a % change)."""

    id: str
    label: str
    unit: str
    better: str
    scale: str
    accounts: list[AccountEffect]
    left_out: list[LeftOut]
    pooled: Pooled | None  # None with fewer than two measurable accounts

    @property
    def total(self) -> int:
        return len(self.accounts) + len(self.left_out)


@dataclass(frozen=True)
class ROITotal:
    """The accounts' ROI added up, in one currency: sums of benefits, costs and net values;
    the range adds every account's low (high) end, so it is wider than a joint interval."""

    currency: str
    accounts: int
    benefit: float
    cost: float
    net: float
    net_low: float
    net_high: float

    @property
    def roi(self) -> float:
        """Pooled ROI: total net value over total cost (0.52 is 52%)."""
        return self.net / self.cost

    @property
    def roi_low(self) -> float:
        return self.net_low / self.cost

    @property
    def roi_high(self) -> float:
        return self.net_high / self.cost


@dataclass(frozen=True)
class Portfolio:
    accounts: list[AccountResults]
    kpis: list[KPIPool]
    roi: list[ROITotal]
    health: dict[str, int]  # green | amber | red | none (no health in the results) -> accounts
    method: str  # REML | PM
    level: float = 0.95
    failed: list[LeftOut] = field(default_factory=list)  # accounts without results

    def to_dict(self) -> dict:
        """The --json file: the pooled numbers, with every account's effect (and weight) and
        every reason an account was left out."""
        def pooled(p: Pooled | None) -> dict | None:
            if p is None:
                return None
            return {**{k: v for k, v in asdict(p).items() if k != "weights"}, "tau": p.tau}

        return {
            "method": self.method, "level": self.level,
            "accounts": [{"name": a.name, "status": a.status, "reason": a.reason}
                         for a in self.accounts],
            "kpis": [{"id": k.id, "label": k.label, "unit": k.unit, "better": k.better,
                      "scale": k.scale, "measurable": len(k.accounts), "total": k.total,
                      "pooled": pooled(k.pooled),
                      "accounts": [asdict(a) for a in k.accounts],
                      "left_out": [asdict(x) for x in k.left_out]} for k in self.kpis],
            "roi": [{**asdict(r), "roi": r.roi, "roi_low": r.roi_low, "roi_high": r.roi_high}
                    for r in self.roi],
            "health": self.health,
        }


def build_portfolio(accounts: list[AccountResults], method: str = "REML",
                    level: float = 0.95) -> Portfolio:
    """Pool every KPI found in any account's results (in order of first appearance)."""
    with_results = [a for a in accounts if a.results is not None]
    failed = [LeftOut(a.name, "failed", a.reason) for a in accounts if a.results is None]
    ids: dict[str, dict] = {}
    for account in with_results:
        for kpi in account.results.get("kpis", []):
            ids.setdefault(kpi["id"], kpi)
    kpis = [_kpi_pool(first, with_results, failed, method, level) for first in ids.values()]
    return Portfolio(accounts=accounts, kpis=kpis, roi=roi_totals(with_results),
                     health=health_counts(accounts), method=method, level=level, failed=failed)


def _kpi_pool(first: dict, accounts: list[AccountResults], failed: list[LeftOut], method: str,
              level: float) -> KPIPool:
    found = [(a, _kpi_of(a.results, first["id"])) for a in accounts]  # names may repeat
    present = [k for _, k in found if k is not None]
    scale = ("units" if all(_linear(k) and k.get("unit") == first.get("unit") for k in present)
             else "relative")
    effects, left_out = [], list(failed)
    for account, kpi in found:
        measured = _effect(account.name, kpi, scale, account.results.get("alpha", 0.05))
        if isinstance(measured, LeftOut):
            left_out.append(measured)
        else:
            effects.append(measured)
    pooled = None
    if len(effects) >= 2:
        pooled = pool([e.effect for e in effects], [e.se ** 2 for e in effects], method, level)
        effects = [AccountEffect(e.account, e.effect, e.se, e.low, e.high, w)
                   for e, w in zip(effects, pooled.weights)]
    return KPIPool(id=first["id"], label=first.get("label") or first["id"],
                   unit=first.get("unit") or "", better=first.get("better", "higher"),
                   scale=scale, accounts=effects, left_out=left_out, pooled=pooled)


def _kpi_of(results: dict, kpi_id: str) -> dict | None:
    return next((k for k in results.get("kpis", []) if k.get("id") == kpi_id), None)


def _linear(kpi: dict) -> bool:
    """Whether the effect is in the KPI's own units (not log points, not a log rate ratio)."""
    return kpi.get("transform", "none") == "none" and kpi.get("model", "linear") == "linear"


def _finite(*values) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
               for v in values)


def _effect(account: str, kpi: dict | None, scale: str,
            alpha: float) -> AccountEffect | LeftOut:
    """The account's effect on the pooling scale, or why it has none (`alpha`: its
    intervals' level, 1 − alpha)."""
    if kpi is None:
        return LeftOut(account, "no_kpi")
    if kpi.get("method") not in MEASURABLE_METHODS:
        return LeftOut(account, "no_comparison")
    if kpi.get("detectable") is False or not _finite(kpi.get("ci_low"), kpi.get("ci_high")):
        return LeftOut(account, "not_measurable")
    if scale == "units":
        effect, low, high = kpi.get("effect"), kpi["ci_low"], kpi["ci_high"]
    else:
        relative = (kpi.get("relative_effect"), kpi.get("relative_ci_low"),
                    kpi.get("relative_ci_high"))
        if not _finite(*relative) or min(relative) <= -1:
            return LeftOut(account, "no_relative")
        effect, low, high = (math.log1p(r) for r in relative)
    se = (high - low) / (2 * _critical_value(kpi, alpha))
    if not (_finite(effect, se) and se > 0):
        return LeftOut(account, "not_measurable")
    return AccountEffect(account, effect, se, low, high)


def _critical_value(kpi: dict, alpha: float) -> float:
    """The multiplier of the account's own interval: t on its df for a model-based interval,
    the normal's otherwise (a randomization test's inverted interval)."""
    from scipy import stats

    df = kpi.get("df")
    alpha = alpha if _finite(alpha) and 0 < alpha < 1 else 0.05
    if kpi.get("inference", "model") == "model" and _finite(df) and df > 0:
        return float(stats.t.ppf(1 - alpha / 2, df))
    return float(stats.norm.ppf(1 - alpha / 2))


def roi_totals(accounts: list[AccountResults]) -> list[ROITotal]:
    """The ROI of every account that has one, added up per currency (sorted by currency)."""
    sums: dict[str, list[float]] = {}
    for account in accounts:
        roi = account.results.get("roi")
        if not roi or not _finite(roi.get("benefit"), roi.get("cost")) or roi["cost"] <= 0:
            continue
        benefit, cost = roi["benefit"], roi["cost"]
        low = roi.get("benefit_low") if _finite(roi.get("benefit_low")) else benefit
        high = roi.get("benefit_high") if _finite(roi.get("benefit_high")) else benefit
        total = sums.setdefault(str(roi.get("currency") or ""), [0, 0.0, 0.0, 0.0, 0.0])
        for i, value in enumerate((1, benefit, cost, low, high)):
            total[i] += value
    return [ROITotal(currency, int(n), benefit, cost, benefit - cost, low - cost, high - cost)
            for currency, (n, benefit, cost, low, high) in sorted(sums.items())]


def health_counts(accounts: list[AccountResults]) -> dict[str, int]:
    """How many accounts are green, amber, red, or have no health score."""
    statuses = Counter(((a.results or {}).get("health") or {}).get("status")
                       for a in accounts)
    counts = {status: statuses.get(status, 0) for status in ("green", "amber", "red")}
    counts["none"] = len(accounts) - sum(counts.values())
    return counts


def portfolio_date(portfolio: Portfolio) -> str:
    """The latest end of the accounts' compared periods ('2026-09-30'; '' without one): the
    date of the review's files, never the clock's."""
    import datetime as dt

    ends = []
    for account in portfolio.accounts:
        try:
            ends.append(dt.date.fromisoformat(str(((account.results or {}).get("post") or {})
                                                  .get("end"))[:10]))
        except ValueError:
            continue
    return max(ends).isoformat() if ends else ""
