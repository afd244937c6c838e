"""Simulated accounts with several KPIs on the same units, for the calibration of the ROI's
range (tests/value/test_roi_range.py, benchmarks/calibration_roi.py).

Each account is a real experiment definition (written once to a folder and loaded as
`valueproof analyze` loads it); every run puts new simulated values into its panel and runs the
statistics and value stages as `analyze` does (`stats.analyze_dataset`,
`value.roi.compute_roi`). The KPIs share the units: each KPI's unit effects and AR(1) errors
are a common part (share `corr` of the variance) plus its own, so KPIs measured on the same
agents move together as real ones do. Effects differ in size and sign (a KPI that got worse is
a negative benefit), KPIs differ in scale and direction (higher or lower is better), and one
KPI may be a rate pooled over denominators that differ tenfold between units.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import numpy as np
import yaml

from valueproof.config import load_experiment
from valueproof.data.load import load_dataset
from valueproof.stats import analyze_dataset
from valueproof.value.roi import compute_roi

HORIZON = 12


@dataclasses.dataclass(frozen=True)
class Design:
    label: str
    benefits: int
    corr: float
    treated: int = 20
    control: int = 20
    waves: tuple[int, ...] = ()  # units per wave (a rollout in waves); `treated` is ignored
    periods: int = 12
    pre: int = 6
    rho: float = 0.8
    rate: bool = False  # the last KPI is a rate with unequal denominators
    aligned: bool = False  # every KPI better when higher: correlated benefits add up

    @property
    def better(self) -> list[str]:
        return ["higher"] * self.benefits if self.aligned else BETTER[:self.benefits]



# per KPI: true effect, scale of its noise, better, value per unit (money per KPI unit)
EFFECTS = [0.5, -0.3, 0.2, 0.8, -0.1]
SCALES = [1.0, 0.5, 2.0, 1.0, 0.3]
BETTER = ["higher", "lower", "higher", "lower", "higher"]
VALUES = [2.0, 5.0, 1.0, 1.5, 8.0]
VOLUME = 1000.0


class Account:
    """One simulated account's definition, loaded once; `run` analyses new values."""

    def __init__(self, design: Design, folder: Path, rng: np.random.Generator):
        self.design = design
        self.kpis = [f"k{i}" for i in range(design.benefits)]
        self.starts = self._starts()
        values, den = self.simulate(rng)
        self._write(folder, values, den)
        self.experiment = load_experiment(folder / "experiment.yaml")
        self.dataset = load_dataset(self.experiment)
        panel = self.dataset.panel
        self.rows = np.array([int(panel.unit_names[u][1:]) for u in panel.unit])
        self.columns = np.asarray(panel.period).astype(np.int64) - 1
        sign = [1.0 if better == "higher" else -1.0 for better in design.better]
        self.truth = sum(s * VALUES[i] * VOLUME * HORIZON * EFFECTS[i]
                         for i, s in enumerate(sign))

    def _starts(self) -> np.ndarray:
        """Each unit's first period with the product (1-based), 0 for never."""
        d = self.design
        if d.waves:
            starts = [d.pre + 1 + 2 * w for w, n in enumerate(d.waves) for _ in range(n)]
            return np.array(starts + [0] * d.control)
        return np.array([d.pre + 1] * d.treated + [0] * d.control)

    def simulate(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray | None]:
        """(KPIs, units, periods) values with the true effects after each unit's rollout, and
        the rate's denominators (units, periods) or None."""
        d = self.design
        K, N, T = d.benefits, len(self.starts), d.periods
        mix = lambda common, own: np.sqrt(d.corr) * common + np.sqrt(1 - d.corr) * own  # noqa: E731
        unit = mix(rng.normal(size=N), rng.normal(size=(K, N)))
        noise = mix(_ar1(rng, (N, T), d.rho), _ar1(rng, (K, N, T), d.rho))
        period = rng.normal(size=(K, T))
        treated = (self.starts[:, None] > 0) & (np.arange(1, T + 1)[None, :] >= self.starts[:, None])
        values = np.empty((K, N, T))
        for k in range(K):
            values[k] = (unit[k][:, None] + period[k][None, :] + noise[k]) * SCALES[k]
        den = None
        if d.rate:  # pooled over denominators: 20 to 200 per unit-period
            den = np.round(np.exp(rng.uniform(np.log(20), np.log(200), N)))[:, None] \
                * np.ones((1, T))
            values[-1] = values[-1] / np.sqrt(den / 50)  # busier units' rates vary less
        return values + np.array(EFFECTS[:K])[:, None, None] * treated, den

    def _write(self, folder: Path, values: np.ndarray, den: np.ndarray | None) -> None:
        d = self.design
        K, N, T = values.shape
        lines = ["unit,group,t," + ",".join(self.kpis) + (",num,den" if den is not None else "")]
        for u in range(N):
            for t in range(T):
                cells = [f"{values[k, u, t]:.10g}" for k in range(K)]
                if den is not None:
                    cells += [f"{values[-1, u, t] * den[u, t]:.10g}", f"{den[u, t]:.0f}"]
                group = "T" if self.starts[u] else "C"
                lines.append(f"u{u},{group},{t + 1}," + ",".join(cells))
        (folder / "data.csv").write_text("\n".join(lines) + "\n")
        kpis = [{"id": k, "column": k, "better": d.better[i]} for i, k in enumerate(self.kpis)]
        if den is not None:
            kpis[-1] = {"id": self.kpis[-1], "numerator": "num", "denominator": "den",
                        "aggregate": "rate", "better": d.better[K - 1]}
        definition = {
            "name": d.label, "data": {"path": "data.csv", "unit": "unit", "time": "t"},
            "kpis": kpis, "analysis": {"permutations": 2000},
            "pre": {"start": 1, "end": d.pre}, "post": {"start": d.pre + 1, "end": T},
            "roi": {"currency": "EUR", "horizon_months": HORIZON,
                    "costs": [{"label": "Licence", "amount": 10_000, "per": "year"}],
                    "benefits": [{"kpi": k, "value_per_unit": VALUES[i], "volume": VOLUME,
                                  "per": "month"} for i, k in enumerate(self.kpis)]},
        }
        if d.waves:
            (folder / "waves.csv").write_text("unit,rollout\n" + "".join(
                f"u{u},{s or ''}\n" for u, s in enumerate(self.starts)))
            definition["rollout"] = {"file": "waves.csv"}
            definition["groups"] = {}
            del definition["pre"], definition["post"]
        else:
            definition["groups"] = {"column": "group", "treatment": "T", "control": "C"}
            definition["rollout"] = d.pre + 1
        (folder / "experiment.yaml").write_text(yaml.safe_dump(definition, sort_keys=False))

    def run(self, rng: np.random.Generator):
        """The ROI `analyze` reports on a new simulated panel of this account."""
        values, den = self.simulate(rng)
        panel = self.dataset.panel
        new = {k: values[i][self.rows, self.columns] for i, k in enumerate(self.kpis)}
        weights = dict(panel.weights)
        if den is not None:
            weights[self.kpis[-1]] = den[self.rows, self.columns]
        panel = dataclasses.replace(panel, values=new, weights=weights)
        results = analyze_dataset(self.experiment, dataclasses.replace(self.dataset, panel=panel))
        kpis = {k.id: k for k in results.kpis}
        return compute_roi(self.experiment.roi, kpis, None, results.alpha), kpis


def _ar1(rng: np.random.Generator, shape: tuple[int, ...], rho: float) -> np.ndarray:
    out = np.empty(shape)
    out[..., 0] = rng.normal(0, 1 / np.sqrt(1 - rho**2), shape[:-1])
    for t in range(1, shape[-1]):
        out[..., t] = rho * out[..., t - 1] + rng.normal(0, 1, shape[:-1])
    return out


def simulate_roi(design: Design, n: int, rng: np.random.Generator) -> dict:
    """Coverage of the true total by the reported range (and by the old sum of per-benefit
    ends), the method, and the median width of the new range relative to the old."""
    with tempfile.TemporaryDirectory() as folder:
        account = Account(design, Path(folder), rng)
        cover = old = 0
        widths, methods = [], set()
        for _ in range(n):
            roi, _ = account.run(rng)
            methods.add(roi.range_method)
            cover += roi.benefit_low <= account.truth <= roi.benefit_high
            low = sum(b.total_low for b in roi.benefits)
            high = sum(b.total_high for b in roi.benefits)
            old += low <= account.truth <= high
            if np.isfinite(high - low) and high > low:
                widths.append((roi.benefit_high - roi.benefit_low) / (high - low))
    rate = cover / n
    return {"coverage": rate, "mc_se": float(np.sqrt(rate * (1 - rate) / n)),
            "old": old / n, "width": float(np.median(widths)) if widths else float("nan"),
            "method": "/".join(sorted(methods))}
