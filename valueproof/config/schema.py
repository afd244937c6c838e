"""The experiment definition (v1): the `Experiment`, assembled from its sections.

The sections live by topic: `inputs` (data, groups, rollout, windows), `kpis` (KPIs, analysis,
success criteria), `adoption` (adoption data and health), `account` (parties, ROI, goals,
roadmap), on the shared `base` models, `types` and `limits`. Every model forbids unknown keys, so
a misspelt key is an error rather than a silently ignored setting. Cross-field rules (KPI
references, window order) live in validators; rules that need the data (does the treatment value
exist?) live in the data stage.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, PrivateAttr, field_validator, model_validator

from valueproof.config.account import ROI, Party, QuarterGoal, RoadmapEntry
from valueproof.config.adoption import Adoption, Health
from valueproof.config.base import Strict
from valueproof.config.comparison import Comparison
from valueproof.config.connections import definition_database
from valueproof.config.inputs import DataSource, Groups, Rollout, Waves, Window
from valueproof.config.kpis import KPI, Analysis, Criterion
from valueproof.config.limits import ITEMS, NAME, FilePath, Sentence
from valueproof.config.types import Date, LocatedError, check_locale
from valueproof.sandbox import Sandbox


class Experiment(Strict):
    """A whole experiment definition, as written in experiment.yaml."""

    name: str = Field(min_length=1, max_length=NAME)
    customer: Party | None = None
    vendor: Party | None = None
    brand: FilePath | None = Field(None, description="Brand file (colours, fonts, footer).")
    quarter: str | None = Field(None, pattern=r"^\d{4}-Q[1-4]$", description="e.g. 2026-Q3")
    prepared_by: str | None = Field(None, max_length=NAME)
    report_date: Date | None = Field(None, description="Date printed on the cover.")
    locale: str = Field("en", description="Language and number format of the report, e.g. en, pl.")
    data: DataSource
    groups: Groups = Field(
        default_factory=Groups, description="Who got the product; with a rollout in waves "
                                            "only treatment_label and control_label.")
    rollout: Rollout = Field(
        description="Date (or integer period) of a common rollout, or {column: NAME} / "
                    "{file: PATH} for a rollout in waves.")
    comparison: Comparison | None = Field(
        None, description="No control group in the account: the vendor's other accounts as "
                          "donors of a synthetic difference-in-differences.")
    pre: Window | None = None
    post: Window | None = None
    window: Window | None = Field(
        None, description="Rollout in waves: the dates (or periods) of data to use; default all.")
    analysis: Analysis = Field(default_factory=Analysis)
    kpis: list[KPI] = Field(min_length=1)
    success_criteria: list[Criterion] = Field(default_factory=list)
    as_of: Date | None = None
    next_quarter: list[QuarterGoal] = Field(
        default_factory=list, max_length=ITEMS)
    roi: ROI | None = None
    adoption: Adoption | None = Field(
        None, description="Licences, usage, training, NPS and support tickets.")
    health: Health | None = Field(
        None, description="Health score weights and thresholds (default weights without it).")
    highlights: list[Sentence] = Field(
        default_factory=list, max_length=ITEMS, description="Wins the CSM wants in the summary.")
    roadmap: list[RoadmapEntry] = Field(
        default_factory=list, max_length=ITEMS, description="What is coming, with when.")
    asks: list[Sentence] = Field(
        default_factory=list, max_length=ITEMS, description="What we need from the customer.")

    # Set by the loader, not by the analyst: the folder that relative paths resolve against.
    _base_dir: Path = PrivateAttr(default=Path("."))
    _definition_hash: str = PrivateAttr(default="")
    _allowed_roots: tuple[Path, ...] = PrivateAttr(default=())
    _connections: object = PrivateAttr(default=None)  # connections.Connections

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        return check_locale(value)

    @model_validator(mode="after")
    def _consistent(self) -> Experiment:
        ids = [k.id for k in self.kpis]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise LocatedError(
                ("kpis", ids.index(dupes[0], ids.index(dupes[0]) + 1), "id"),
                f"KPI id '{dupes[0]}' is used twice; each KPI needs its own id",
            )
        known = set(ids)
        for section, items in (
            ("success_criteria", self.success_criteria),
            ("roi.benefits", self.roi.benefits if self.roi else []),
        ):
            for i, item in enumerate(items):
                if item.kpi not in known:
                    loc = (*section.split("."), i, "kpi")
                    raise LocatedError(
                        loc, f"'{item.kpi}' is not a KPI id; known ids: {', '.join(ids)}"
                    )
        if self.health is not None and self.adoption is None:
            raise LocatedError(("health",), "'health' scores the adoption data: add 'adoption' "
                               "(usage, training, nps or tickets), or remove 'health'")
        if self.staggered:
            return self._consistent_waves()
        if self.comparison is not None:
            self._consistent_comparison()
        elif self.groups.labels_only:
            raise LocatedError(
                ("groups",), "a common rollout needs 'groups' with 'column' or 'file' and "
                "'treatment' (and usually 'control'); for a rollout in waves write rollout: "
                "{column: NAME} or {file: PATH}")
        if self.window is not None:
            raise LocatedError(("window",), "'window' goes with a rollout in waves; with one "
                               "rollout date use 'pre' and 'post'")
        kind = type(self.rollout)
        for name in ("pre", "post"):
            window = getattr(self, name)
            if window is not None and type(window.start) is not kind:
                raise LocatedError(
                    (name, "start"),
                    "must be written like 'rollout' (both dates or both integer periods)",
                )
        if self.pre and self.pre.end >= self.rollout:
            raise LocatedError(
                ("pre", "end"),
                f"the pre window ends {self.pre.end}, on or after the rollout {self.rollout}; "
                "it must end before the rollout",
            )
        if self.post and self.post.start < self.rollout:
            raise LocatedError(
                ("post", "start"),
                f"the post window starts {self.post.start}, before the rollout {self.rollout}",
            )
        return self

    def _consistent_comparison(self) -> None:
        if self.groups.control:
            raise LocatedError(("groups", "control"), "with 'comparison' the donor accounts are "
                               "the comparison: remove groups.control, or remove 'comparison' "
                               "to compare with the control group")
        for i, kpi in enumerate(self.kpis):
            if kpi.model == "poisson":
                raise LocatedError(("kpis", i, "model"), "with 'comparison' each KPI is compared "
                                   "as the account's series against the donors' (model: linear); "
                                   "remove model: poisson")
        columns = {c for kpi in self.kpis for c in kpi.columns}
        for name in self.comparison.columns:
            if name not in columns:
                raise LocatedError(("comparison", "columns", name), f"'{name}' is not a column "
                                   f"a KPI reads; KPI columns: {', '.join(sorted(columns))}")

    def _consistent_waves(self) -> Experiment:
        if self.comparison is not None:
            raise LocatedError(("comparison",), "'comparison' (other accounts as donors) goes "
                               "with one rollout date for the whole account, not a rollout in "
                               "waves; write rollout: YYYY-MM-DD, or remove 'comparison'")
        for i, kpi in enumerate(self.kpis):
            if kpi.model == "poisson":
                raise LocatedError(("kpis", i, "model"), "model 'poisson' needs one rollout date; "
                                   "a rollout in waves is estimated with model: linear")
        if not self.groups.labels_only:
            raise LocatedError(
                ("groups",), "with a rollout in waves the rollout dates say who got the product "
                "(an empty rollout: never); 'groups' takes only treatment_label and control_label")
        for name in ("pre", "post"):
            if getattr(self, name) is not None:
                raise LocatedError(
                    (name,), f"'{name}' goes with one rollout date; with a rollout in waves each "
                    "wave is compared with the period before it. To limit the data, use "
                    "'window: {start, end}'")
        return self

    @property
    def staggered(self) -> bool:
        """A rollout in waves (each unit its own rollout date)."""
        return isinstance(self.rollout, Waves)

    def kpi(self, kpi_id: str) -> KPI:
        return next(k for k in self.kpis if k.id == kpi_id)

    def resolve(self, path: Path, key: str = "path") -> Path:
        """A file the definition names (at `key`), resolved against the definition's folder and
        refused outside it and the roots the operator allowed (`sandbox.Sandbox.file`)."""
        return Sandbox(self._base_dir, *self._allowed_roots).file(path, key)

    @property
    def allowed_roots(self) -> tuple[Path, ...]:
        """Folders outside its own that the operator lets this definition read."""
        return self._allowed_roots

    @property
    def base_dir(self) -> Path:
        return self._base_dir

    @property
    def definition_hash(self) -> str:
        """SHA-256 of the definition file's bytes (empty for a definition built in code)."""
        return self._definition_hash

    def located_at(self, base_dir: Path, definition_hash: str = "",
                   allowed_roots: tuple[Path, ...] = (), connections=None) -> Experiment:
        """This definition with relative paths resolving against `base_dir`, allowed to read
        files under `base_dir` and `allowed_roots`, and the databases of `connections` (the
        operator's connections.yaml; None: found as `connections.Connections` finds it)."""
        self._base_dir = base_dir
        self._definition_hash = definition_hash
        self._allowed_roots = tuple(allowed_roots)
        self._connections = connections
        return self

    def database(self, spec, key: str):
        """(URL, DuckDB file or None) of the database a section (`data`, `groups`, …, given as
        `spec` at `key`) reads: its named connection, or its own DuckDB file, which must lie
        in the folders this definition may read."""
        from valueproof.config.connections import Connections, DatabaseUrl, redacted

        if spec.connection is not None:
            if self._connections is None:
                self._connections = Connections()
            url = self._connections.get(spec.connection, f"{key}.connection")
            file = None
            if url.scheme == "duckdb":  # the operator's own file, relative to connections.yaml
                location = Path(url.resolved[len("duckdb:///"):] if
                                url.resolved.lower().startswith("duckdb:///") else "")
                file = url.folder / location if not location.is_absolute() else location
            return url, file
        path = Path(definition_database(spec.url))
        url = DatabaseUrl(spec.url, spec.url, redacted(spec.url), origin=f"{key}.url")
        return url, self.resolve(path, f"{key}.url")

    @property
    def has_control(self) -> bool:
        return self.staggered or bool(self.groups.control)
