"""Scoring learned from history, written as a policy (docs/scoring.md).

The fit is scikit-learn's regularised logistic regression (the optional extra
``leadkit[learn]``); what is counted — which lead is won or lost by `as_of`, the scores, the
AUC, lift by decile, calibration per band, the points and the bands — is the C++ engine's.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from . import _core, _frames
from ._classify import classify
from ._policy import Policy

#: Points that double the odds of winning: a total of t points stands for odds 2^(t / 20).
POINTS_TO_DOUBLE = 20.0

#: The fields learned from when `fields` is None: what a lead says of itself when it is
#: created. Left out: ids and times, personal data, the outcome (status, won_at, lost_at,
#: lost_reason, lost_review, delivered_at), what is recorded as the lead goes on
#: (deposit_paid, sales_stage, funnel_stage, reassignments, grade) and the coordinates.
DEFAULT_FIELDS = (
    "channel", "model", "models_considered", "asked_price", "asked_config",
    "purchase_within_days", "test_drive", "store_visits", "budget", "city", "age", "gender",
    "occupation", "purpose", "web_minutes", "configs_viewed",
)

#: Fields that say how a lead ended or which grade it was given: never learned from.
OUTCOME_FIELDS = ("status", "won_at", "delivered_at", "lost_at", "lost_reason", "lost_review",
                  "grade")

#: Quantile bins of a number (at most this many, on the training leads).
NUMBER_BINS = 5
#: A category or bin needs this many training leads to get an item of its own.
MIN_LEADS_PER_ITEM = 20
#: The regularisation of the fit (scikit-learn's C: smaller is stronger).
REGULARISATION_C = 1.0


@dataclasses.dataclass
class LearnedScoring:
    """What :func:`learn_scoring` gives: ``policy`` (the learned policy, or the base policy
    unchanged when it fell back), ``fields`` (the fields the learned points read), ``report``
    (held-out AUC and lift by decile for the learned score and the hand-written grades,
    calibration per band) and ``reason`` (why it fell back, else None)."""

    policy: Policy
    fields: list[str]
    report: dict[str, Any]
    reason: str | None = None

    def report_json(self) -> str:
        """The report as a JSON document (tables as lists of rows; NaN as null)."""
        def plain(value):
            if isinstance(value, pd.DataFrame):
                return [plain(r) for r in value.to_dict(orient="records")]
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [plain(v) for v in value]
            if isinstance(value, (float, np.floating)):
                return None if np.isnan(value) else float(value)
            if isinstance(value, np.integer):
                return int(value)
            return value
        return json.dumps({"reason": self.reason, "fields": self.fields,
                           **plain(self.report)}, indent=2, ensure_ascii=False)


@dataclasses.dataclass
class _Item:
    id: str
    field: str
    when: list[dict]
    column: np.ndarray  # 1 where the conditions hold (null: 0)


def _check_fields(fields: Sequence[str] | None, frame: pd.DataFrame) -> list[str]:
    if fields is None:
        return [f for f in DEFAULT_FIELDS if f in frame.columns]
    if isinstance(fields, str):
        fields = [fields]
    out = []
    for name in fields:
        info = _frames.LEAD_FIELDS.get(name)
        if info is None:
            raise ValueError(f"fields: {name!r} is not a lead field"
                             f"{_frames.suggest(name, _frames.LEAD_FIELDS)}")
        kind, personal, _ = info
        if personal:
            raise ValueError(f"fields: {name!r} is personal data and is never learned from")
        if name in OUTCOME_FIELDS:
            raise ValueError(f"fields: {name!r} records the outcome or the grade given, not "
                             f"what the lead said when it was created")
        if kind not in ("number", "bool", "string") or name == "lead_id":
            raise ValueError(f"fields: {name!r} is an id or a time ({kind}); only numbers, "
                             f"booleans and categories are learned from")
        if name not in frame.columns:
            raise ValueError(f"fields: the leads table has no column {name!r}")
        if name not in out:
            out.append(name)
    return out


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _candidate_items(specs: dict, fields: list[str], train: np.ndarray,
                     base: Policy, least: int) -> list[_Item]:
    """The indicators the fit may weigh: each item's conditions in the policy's words and
    its 0/1 column over every lead (null values hold no condition)."""
    items: list[_Item] = []
    for name in fields:
        _, kind, values, valid, dictionary = specs[name]
        present = np.ones(len(values), bool) if valid is None else valid.astype(bool)
        if kind == "bool":
            on = values.astype(bool)
            for flag, column in ((True, present & on), (False, present & ~on)):
                if column[train].sum() >= least:
                    items.append(_Item(f"{name}={'true' if flag else 'false'}", name,
                                       [{"field": name, "op": "==", "value": flag}], column))
        elif kind == "code":
            # A field with a value set takes only its values (docs/policy.md, "Value sets").
            allowed = set(base.field_values(name)) or None
            codes = np.asarray(values)
            counts = np.bincount(codes[train & (codes >= 0)], minlength=len(dictionary))
            for code in np.argsort([str(d) for d in dictionary], kind="stable"):
                value = str(dictionary[code])
                if counts[code] < least or (allowed is not None
                                                         and value not in allowed):
                    continue
                items.append(_Item(f"{name}={value}", name,
                                   [{"field": name, "op": "==", "value": value}],
                                   codes == code))
        else:  # numbers: quantile bins of the training leads
            numbers = np.asarray(values, dtype=np.float64)
            present = present & ~np.isnan(numbers)
            known = numbers[train & present]
            if len(known) == 0:
                continue
            quantiles = np.arange(1, NUMBER_BINS) / NUMBER_BINS
            cuts = np.unique(np.quantile(known, quantiles, method="inverted_cdf"))
            cuts = cuts[cuts > known.min()]  # a cut at the minimum leaves an empty first bin
            edges = [-np.inf, *cuts, np.inf]
            for lo, hi in zip(edges[:-1], edges[1:]):
                when, label = [], name
                if np.isfinite(lo):
                    when.append({"field": name, "op": ">=", "value": _number(lo)})
                if np.isfinite(hi):
                    when.append({"field": name, "op": "<", "value": _number(hi)})
                if not when:
                    continue  # a single bin: the field does not vary
                column = present & (numbers >= lo) & (numbers < hi)
                if column[train].sum() < least:
                    continue
                lo_text = "" if not np.isfinite(lo) else f"{_number(lo)}<="
                hi_text = "" if not np.isfinite(hi) else f"<{_number(hi)}"
                label = f"{lo_text}{name}{hi_text}"
                items.append(_Item(label, name, when, column))
    return items


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError as e:  # pragma: no cover - the extra is part of the test setup
        raise ImportError("learn_scoring needs scikit-learn: pip install 'leadkit[learn]'") from e
    model = LogisticRegression(C=REGULARISATION_C, max_iter=5000)
    model.fit(x, y)
    return model.coef_[0], float(model.intercept_[0])


def _bands_from_cuts(cuts: list[float], grades: list[str]) -> list[dict]:
    """Bands [cut_g, cut_(g-1)) per grade, best first; a grade whose range is empty gets
    none."""
    bands = []
    upper = np.inf
    for g, grade in enumerate(grades):
        lower = cuts[g] if g < len(cuts) else -np.inf
        if lower >= upper:
            continue
        band: dict[str, Any] = {}
        if np.isfinite(lower):
            band["min"] = _number(lower)
        if np.isfinite(upper):
            band["max"] = _number(upper)
        band["grade"] = grade
        bands.append(band)
        upper = lower
    return bands


def _shares(bands: Any, grades: list[str], history: np.ndarray) -> list[float]:
    """Each grade's share: from `bands` ({grade: share}) or, when None, from the base
    policy's grades in `history` (grade codes of the training leads)."""
    if bands is None:
        counts = np.bincount(history, minlength=len(grades)).astype(float)
        return list(counts / counts.sum())
    unknown = [g for g in bands if g not in grades]
    if unknown:
        raise ValueError(f"bands: {unknown[0]!r} is not one of the base policy's grades "
                         f"{grades}")
    shares = [float(bands.get(g, 0.0)) for g in grades]
    if any(not np.isfinite(s) or s < 0 for s in shares) or abs(sum(shares) - 1) > 1e-6:
        raise ValueError(f"bands: the grades' shares must be at least 0 and sum to 1 "
                         f"(got {dict(zip(grades, shares))})")
    return shares


def _document(base: Policy, items: list[dict], bands: list[dict], note: str) -> dict:
    doc = json.loads(base.to_json())
    doc.pop("rules", None)  # every rule grades: scoring grades every lead instead
    doc["name"] = f"{base.name}_learned" if base.name else "learned"
    doc["description"] = note
    doc["scoring"] = {"id": "learned_score", "points": items, "bands": bands}
    return doc


def _scores(policy: Policy, frame: pd.DataFrame, tz) -> np.ndarray:
    impl = policy._impl
    specs = _frames.lead_specs(frame, impl.fields, compared=impl.compared_fields, tz=tz)
    return _core.score_batch(impl, len(frame), specs)


def _ranking(scores: np.ndarray, won: np.ndarray) -> dict:
    return _core.score_ranking(np.asarray(scores, np.float64), won.astype(np.uint8), 10)


def learn_scoring(leads: Any, outcome: str = "won", as_of: Any = None, *,
                  fields: Sequence[str] | None = None, base: Policy,
                  bands: Mapping[str, float] | Sequence[Mapping[str, Any]] | None = None,
                  min_outcomes: int = 200, holdout_months: int = 3,
                  on_insufficient: str = "raise", min_item_leads: int = MIN_LEADS_PER_ITEM,
                  tz: str | None = None) -> LearnedScoring:
    """Learns points from the leads' history and writes them as a policy: the `base`
    policy with a ``scoring`` section and without its (grading) rules (docs/scoring.md).

    A lead is labelled when it is won or lost by `as_of`, as :func:`kpis` counts it. The
    leads created in the last `holdout_months` months (up to the latest creation by
    `as_of`) are held out; the fit sees only the earlier ones. With fewer than
    `min_outcomes` won leads to train on, or a held-out AUC not above the base policy's
    grades', ``on_insufficient="raise"`` raises ValueError and ``"base"`` returns the base
    policy unchanged with ``reason`` set. A category or bin needs `min_item_leads` training
    leads to get an item of its own.
    """
    if not isinstance(base, Policy):
        raise TypeError(f"base: expected a leadkit.Policy, got {type(base).__name__}")
    if outcome != "won":
        raise ValueError(f'outcome: only "won" is learned so far (got {outcome!r})')
    if on_insufficient not in ("raise", "base"):
        raise ValueError(f'on_insufficient: "raise" or "base" (got {on_insufficient!r})')
    if isinstance(holdout_months, bool) or not isinstance(holdout_months, (int, np.integer)) \
            or holdout_months < 1:
        raise ValueError(f"holdout_months: a whole number of months, at least 1 "
                         f"(got {holdout_months!r})")
    if isinstance(min_outcomes, bool) or not isinstance(min_outcomes, (int, np.integer)) \
            or min_outcomes < 0:
        raise ValueError(f"min_outcomes: a whole number, at least 0 (got {min_outcomes!r})")
    if isinstance(min_item_leads, bool) or not isinstance(min_item_leads, (int, np.integer)) \
            or min_item_leads < 1:
        raise ValueError(f"min_item_leads: a whole number, at least 1 (got {min_item_leads!r})")
    frame = _frames.as_frame(leads, "leads")
    _frames.require_columns(frame, "leads", ["lead_id", "created_at"])
    ids = _frames.require_ids(frame, "leads", "lead_id")
    used_fields = _check_fields(fields, frame)
    # Read first in the caller's order, so that bad input is named by the caller's row.
    no_touches = pd.DataFrame({"lead_id": pd.Series([], dtype=object),
                               "at": pd.Series([], dtype="datetime64[ns, UTC]"),
                               "method": pd.Series([], dtype=object)})
    from .reports import lead_kpis
    facts = lead_kpis(frame, no_touches, base, as_of=as_of, tz=tz)
    _frames.lead_specs(frame, ["created_at", *used_fields],
                       compared=["created_at", *used_fields], tz=tz)
    # Then one order whatever the input's: the fit and the report's sums do not depend on it.
    # (Sorted as text without decoding anything.)
    keys = np.array([v if isinstance(v, str) else repr(v) for v in ids.to_numpy(dtype=object)],
                    dtype=object)
    order = np.argsort(keys, kind="stable")
    frame = frame.iloc[order].reset_index(drop=True)
    facts = facts.iloc[order].reset_index(drop=True)

    # Outcomes and the hand-written grades, as the KPIs and classify give them.
    counted = facts["counted"].to_numpy(bool) & ~facts["invalid"].to_numpy(bool)
    won = facts["won"].to_numpy(bool) & counted
    labelled = counted & (won | (facts["lost"].to_numpy(bool) & counted))
    hand = classify(frame, base)["grade"].cat.codes.to_numpy()

    specs = {s[0]: s for s in _frames.lead_specs(frame, ["created_at", *used_fields],
                                                 compared=["created_at", *used_fields], tz=tz)}
    created = specs["created_at"][2]
    zone = base.time_zone
    if counted.any():
        latest = pd.Timestamp(int(created[counted].max()), unit="s", tz="UTC").tz_convert(zone)
        start = latest - pd.DateOffset(months=int(holdout_months))
        start_s = int(start.tz_convert("UTC").timestamp())
    else:
        start, start_s = None, 0
    train = counted & (created < start_s)
    held = counted & (created >= start_s)
    fit_rows = train & labelled
    test_rows = held & labelled

    report: dict[str, Any] = {
        "holdout_start": None if start is None else start.isoformat(),
        "points_to_double": POINTS_TO_DOUBLE,
        "training_leads": int(train.sum()), "training_won": int((won & fit_rows).sum()),
        "training_lost": int((fit_rows & ~won).sum()),
        "holdout_leads": int(held.sum()), "holdout_won": int((won & test_rows).sum()),
        "holdout_lost": int((test_rows & ~won).sum()),
    }

    def insufficient(reason: str, candidate: Policy | None = None) -> LearnedScoring:
        if candidate is not None:
            report["candidate"] = json.loads(candidate.to_json())
        if on_insufficient == "raise":
            raise ValueError(f"learn_scoring: {reason}; to keep the base policy instead, pass "
                             f"on_insufficient=\"base\" (leadkit policy learn "
                             f"--on-insufficient base)")
        return LearnedScoring(policy=base, fields=[], report=report, reason=reason)

    if start is None:
        return insufficient("no valid lead was created by as_of")
    train_won = report["training_won"]
    if train_won < max(min_outcomes, 1) or report["training_lost"] == 0:
        return insufficient(
            f"the training window (leads created before {report['holdout_start']}) holds "
            f"{train_won} won and {report['training_lost']} lost leads; at least "
            f"{max(min_outcomes, 1)} won and 1 lost are needed")
    if report["holdout_won"] == 0 or report["holdout_lost"] == 0:
        return insufficient(
            f"the held-out months (from {report['holdout_start']}) hold "
            f"{report['holdout_won']} won and {report['holdout_lost']} lost leads; both are "
            f"needed to validate the scoring")

    candidates = _candidate_items(specs, used_fields, train, base, int(min_item_leads))
    if not candidates:
        return insufficient("no field varies enough among the training leads to learn from")
    x = np.column_stack([c.column[fit_rows] for c in candidates]).astype(np.float64)
    coef, intercept = _fit(x, won[fit_rows].astype(int))
    points = _core.log_odds_to_points(np.asarray(coef, np.float64), POINTS_TO_DOUBLE)
    base_points = int(_core.log_odds_to_points(np.array([intercept]), POINTS_TO_DOUBLE)[0])
    items = [{"id": "base", "points": base_points,
              "note": f"the intercept: every lead starts here ({POINTS_TO_DOUBLE:g} points "
                      f"double the odds of winning)"}]
    used: list[str] = []
    for c, p in zip(candidates, points):
        if p == 0:
            continue
        items.append({"id": c.id, "when": c.when, "points": int(p)})
        if c.field not in used:
            used.append(c.field)
    used_in_order = [f for f in used_fields if f in used]

    note = (f"Points learned from {report['training_won']} won and {report['training_lost']} "
            f"lost leads created before {report['holdout_start']}, on {base.name or 'the base'}"
            f"'s grades; {POINTS_TO_DOUBLE:g} points double the odds of winning.")
    grades = list(base.grades)
    if bands is not None and not isinstance(bands, Mapping):
        band_list = [dict(b) for b in bands]
    else:
        # Scores of the training leads under the points, then cuts that keep the shares.
        probe = Policy.from_json(json.dumps(
            _document(base, items, [{"grade": grades[-1]}], note)))
        train_scores = _scores(probe, frame.loc[train], tz)
        shares = _shares(bands, grades, hand[train])
        cuts = _core.band_cuts(train_scores, shares)
        band_list = _bands_from_cuts(list(cuts), grades)
    learned = Policy.from_json(json.dumps(_document(base, items, band_list, note)))

    # The held-out months: the learned score against the hand-written grades.
    test_frame = frame.loc[test_rows]
    y = won[test_rows]
    score = _scores(learned, test_frame, tz)
    mine = _ranking(score, y)
    theirs = _ranking(-hand[test_rows].astype(np.float64), y)
    report["auc"] = {"learned": mine["auc"], "hand_written": theirs["auc"]}
    report["lift_by_decile"] = pd.DataFrame({
        "decile": np.arange(1, 11),
        "learned_conversion_rate": mine["conversion_rate"], "learned_lift": mine["lift"],
        "hand_written_conversion_rate": theirs["conversion_rate"],
        "hand_written_lift": theirs["lift"]})
    band = classify(test_frame, learned)["grade"].cat.codes.to_numpy().astype(np.int32)
    predicted = _core.points_to_probability(score, POINTS_TO_DOUBLE)
    calibration = _core.calibration_by_band(band, predicted, y.astype(np.uint8), len(grades))
    report["calibration"] = pd.DataFrame({"grade": grades, **calibration})
    if not mine["auc"] > theirs["auc"]:
        return insufficient(
            f"the learned score's held-out AUC {mine['auc']:.3f} is not above the "
            f"hand-written grades' {theirs['auc']:.3f}", learned)
    return LearnedScoring(policy=learned, fields=used_in_order, report=report, reason=None)
