"""Realistic sample data at any size (the tables of docs/data.md), deterministic for a seed.

    import leadkit.synth
    data = leadkit.synth.generate(leads=100_000, dealers=40, seed=7)
    data.leads, data.touches, data.surveys, data.visits, data.dealers, data.consultants

The shapes follow the source documents: online and offline channels in realistic shares
(000 §3.2.1), dealers in regions with real-looking coordinates, consultants with experience and
capacity, grades and grade changes (002 §2.5), 5–10 touches before a won deal (003), conversion
around 4–8%, lost leads with reasons and pending / approved / rejected reviews (002 §2.3, §2.7),
late and missed follow-ups, showroom visits with and without contact details (002 §2.6), and
satisfaction surveys (000 §6.1.2). Everything is vectorised numpy: millions of leads take
seconds.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["Synth", "generate"]

ZONE = "Asia/Shanghai"

# (city, latitude, longitude)
_CITIES = [
    ("Shanghai", 31.23, 121.47), ("Beijing", 39.90, 116.40), ("Guangzhou", 23.13, 113.26),
    ("Shenzhen", 22.54, 114.06), ("Hangzhou", 30.27, 120.16), ("Suzhou", 31.30, 120.62),
    ("Nanjing", 32.06, 118.80), ("Chengdu", 30.57, 104.07), ("Wuhan", 30.59, 114.31),
    ("Xi'an", 34.34, 108.94), ("Chongqing", 29.56, 106.55), ("Tianjin", 39.13, 117.20),
    ("Qingdao", 36.07, 120.38), ("Xiamen", 24.48, 118.09), ("Changsha", 28.23, 112.94),
    ("Zhengzhou", 34.75, 113.63), ("Shenyang", 41.81, 123.43), ("Kunming", 25.04, 102.71),
]
_MODELS = np.array(["A200", "C200", "E300", "GLA", "GLC", "GLE", "EQA", "EQE"], dtype=object)
_CHANNELS = np.array(["website", "social", "vertical_media", "ecommerce", "showroom", "phone",
                      "auto_show", "test_drive_event", "marketing_event", "referral"], dtype=object)
_CHANNEL_SHARES = [0.25, 0.15, 0.20, 0.05, 0.15, 0.10, 0.03, 0.03, 0.02, 0.02]
_METHODS = np.array(["phone", "wechat", "sms", "email", "visit", "event"], dtype=object)
_METHOD_SHARES = [0.45, 0.30, 0.08, 0.04, 0.10, 0.03]
# What a touch of each method brings (docs/playbook.md's content types), in _METHODS' order.
_CONTENTS_BY_METHOD = [
    ["needs_questions", "offer", "objection_answers", "updates", "recommendation"],  # phone
    ["new_models", "nev_models", "offer", "brochure", "updates"],  # wechat
    ["greeting", "visit_invitation", "thanks"],  # sms
    ["brochure", "purchase_plan", "buying_guide"],  # email
    ["demonstration", "product_details", "comparison"],  # visit
    ["new_models", "demonstration"],  # event
]
_LOST_REASONS = np.array(["bought_competitor", "price", "no_longer_interested", "financing",
                          "bought_used", "unreachable"], dtype=object)
_OCCUPATIONS = np.array(["engineer", "manager", "teacher", "business_owner", "doctor", "civil_servant",
                         "sales", "other"], dtype=object)
_PURPOSES = np.array(["family", "commute", "business", "replacement", "first_car"], dtype=object)
_SURNAMES = np.array(list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"), dtype=object)
_GIVEN = np.array(list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚"), dtype=object)


@dataclasses.dataclass(frozen=True)
class Synth:
    """The generated tables."""

    leads: pd.DataFrame
    touches: pd.DataFrame
    surveys: pd.DataFrame
    visits: pd.DataFrame
    dealers: pd.DataFrame
    consultants: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def _instants(base: pd.Timestamp, seconds: np.ndarray) -> pd.Series:
    values = (base.value + np.asarray(seconds).astype(np.int64) * 10**9).astype("datetime64[ns]")
    return pd.Series(pd.DatetimeIndex(values).tz_localize("UTC").tz_convert(ZONE))


def _pick(rng, values: np.ndarray, n: int, p=None) -> pd.Categorical:
    """n draws from `values` as a categorical (cheap to build, small to hold)."""
    return pd.Categorical.from_codes(rng.choice(len(values), n, p=p),
                                     categories=list(values))


def _contents(rng, method_codes: np.ndarray) -> pd.Categorical:
    """Per touch, a content type its method brings (one in ten not recorded: null)."""
    names = sorted({c for options in _CONTENTS_BY_METHOD for c in options})
    code = {name: i for i, name in enumerate(names)}
    width = max(len(options) for options in _CONTENTS_BY_METHOD)
    # Each method's options, repeated to one width: a uniform draw per row of the table.
    table = np.array([[code[options[i % len(options)]] for i in range(width)]
                      for options in _CONTENTS_BY_METHOD])
    pick = rng.integers(0, width, len(method_codes))
    uneven = np.array([len(options) for options in _CONTENTS_BY_METHOD])[method_codes]
    codes = table[method_codes, pick % uneven]
    codes[rng.random(len(method_codes)) < 0.1] = -1
    return pd.Categorical.from_codes(codes, categories=names)


def _taken(source: pa.Array, index: np.ndarray, keep: np.ndarray | None = None) -> pd.Series:
    """``source[index]`` as pandas' default string column, gathered by Arrow without a Python
    string per row; rows where `keep` is False are null."""
    index = pa.array(np.asarray(index, dtype=np.int64),
                     mask=None if keep is None else ~np.asarray(keep, dtype=bool))
    return pa.chunked_array([source.take(index)]).to_pandas()


def _maybe(rng, n: int, p_null: float, values: np.ndarray) -> np.ndarray:
    out = values.astype(object)
    out[rng.random(n) < p_null] = None
    return out


def _dealers(rng, count: int) -> pd.DataFrame:
    city = rng.integers(0, len(_CITIES), count)
    regions = max(1, (count + 7) // 8)
    models = []
    for i in range(count):
        if rng.random() < 0.2:  # a fifth of the dealers sell only part of the range
            picked = rng.choice(_MODELS, size=3, replace=False)
            models.append(";".join(sorted(picked)))
        else:
            models.append(None)
    return pd.DataFrame({
        "dealer_id": [f"D{i + 1:03d}" for i in range(count)],
        "region_id": [f"R{i % regions + 1}" for i in range(count)],
        "lat": [_CITIES[c][1] + rng.normal(0, 0.08) for c in city],
        "lon": [_CITIES[c][2] + rng.normal(0, 0.08) for c in city],
        "city": [_CITIES[c][0] for c in city],
        "models": pd.Series(models, dtype=object),
        "active": rng.random(count) > 0.04,
    })


def _code(dealer_number: int, serial: int) -> str:
    rounds = dealer_number // 26
    return f"{chr(65 + dealer_number % 26)}{rounds if rounds else ''}{serial:02d}"


def _consultants(rng, dealers: pd.DataFrame) -> pd.DataFrame:
    per = rng.integers(5, 16, len(dealers))
    dealer = np.repeat(dealers["dealer_id"].to_numpy(), per)
    n = len(dealer)
    serial = np.concatenate([np.arange(k) + 1 for k in per])
    capacity = rng.choice([40, 60, 80, 120], n).astype(float)
    capacity[rng.random(n) < 0.3] = np.nan
    return pd.DataFrame({
        "consultant_id": [f"{d}-C{s:02d}" for d, s in zip(dealer, serial)],
        "dealer_id": dealer,
        "models": pd.Series([None] * n, dtype=object),
        "experience_years": np.round(rng.exponential(3.0, n), 1),
        "active": rng.random(n) > 0.05,
        "max_open_leads": capacity,
        "open_leads": rng.integers(0, 30, n),
        "weight": rng.choice([1.0, 1.0, 1.0, 0.5, 2.0], n),
        # A letter per dealer (and, past 25 dealers, the round), then the serial: unique codes.
        "code": [_code(int(d[1:]), s) for d, s in zip(dealer, serial)],
    })


def _check_touches_per_lead(value) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"generate: touches_per_lead must be a number or None, got "
                        f"{type(value).__name__} {value!r}")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"generate: touches_per_lead must be a finite number >= 0, got {value!r}")


def _other_touch_rate(touches_per_lead: float | None, leads: int, won_touches: int,
                      others: int) -> float:
    """The Poisson mean of touches per open or lost lead: 2.2 by default, else the one that
    brings the average over all leads to `touches_per_lead` beside the won leads' touches."""
    if touches_per_lead is None:
        return 2.2
    wanted = touches_per_lead * leads
    if wanted < won_touches:
        raise ValueError(f"generate: touches_per_lead={touches_per_lead!r} is below "
                         f"{won_touches / leads:.3f}, what the won leads' 5-10 touches alone give "
                         f"in this sample")
    return (wanted - won_touches) / others if others else 0.0


#: The fields `driver` may plant a value in (categorical and boolean, filled by generate).
DRIVER_FIELDS = ("channel", "model", "gender", "occupation", "purpose", "asked_price",
                 "asked_config", "test_drive")


def _check_driver(driver, share) -> None:
    if driver is None:
        return
    if not isinstance(driver, tuple) or len(driver) != 2:
        raise ValueError(f"generate: driver is a (field, value) pair (got {driver!r})")
    field, value = driver
    if field not in DRIVER_FIELDS:
        raise ValueError(f"generate: driver field {field!r} is not one of {list(DRIVER_FIELDS)}")
    boolean = field in ("asked_price", "asked_config", "test_drive")
    if boolean != isinstance(value, (bool, np.bool_)) or (not boolean
                                                          and not isinstance(value, str)):
        raise ValueError(f"generate: driver value {value!r} does not fit {field!r} "
                         f"({'true or false' if boolean else 'a string'})")
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share <= 1:
        raise ValueError(f"generate: driver_share is a probability in (0, 1] (got {share!r})")


def _plant(frame: pd.DataFrame, won: np.ndarray, driver, share: float, rng) -> None:
    """Gives `share` of the won leads the driver's value."""
    field, value = driver
    hit = won & (rng.random(len(frame)) < share)
    column = frame[field]
    if isinstance(column.dtype, pd.CategoricalDtype):
        if value not in column.cat.categories:
            column = column.cat.add_categories([value])
        column = column.copy()
        column[hit] = value
    else:
        column = column.astype(object).copy()
        column[hit] = value
        if field in ("asked_price", "asked_config", "test_drive"):
            column = column.astype(bool)
    frame[field] = column


def generate(leads: int = 10_000, dealers: int = 20, seed: int = 0, *,
             start: str = "2025-01-01", days: int = 365,
             grades: tuple[str, ...] = ("A", "B", "C", "D"),
             touches_per_lead: float | None = None,
             driver: tuple[str, Any] | None = None, driver_share: float = 0.5) -> Synth:
    """Generates the tables; the same arguments give the same tables. `grades` are the names
    touches record in ``grade_after`` (those of the policy the data is meant for; the default
    fits the ``abcd`` preset).

    `touches_per_lead` sets the average number of touches per lead (None: about 2.4, the
    tables of earlier releases for the same seed). Won leads keep their 5–10 touches and
    invalid leads none; the open and lost leads' counts are scaled to reach the average, so it
    cannot be below what the won leads alone give (about 0.5 per lead: a ValueError names the
    floor). The leads, dealers and consultants do not depend on it; touches, surveys and
    visits are drawn afresh.

    `driver` plants a known driver of winning, ``(field, value)`` for a categorical or
    boolean lead field the generator fills (``channel``, ``model``, ``gender``,
    ``occupation``, ``purpose``, ``asked_price``, ``asked_config``, ``test_drive``): each won
    lead is given that value with probability `driver_share` (from its own random stream,
    so every other column stays as without it), which raises the value's win rate above
    the others'. A value outside the field's usual ones is allowed (say ``"pilot"``).
    """
    if leads < 1 or dealers < 1 or days < 1:
        raise ValueError(f"generate: leads >= 1, dealers >= 1 and days >= 1 are required (got "
                         f"leads={leads!r}, dealers={dealers!r}, days={days!r})")
    _check_touches_per_lead(touches_per_lead)
    _check_driver(driver, driver_share)
    rng = np.random.default_rng(seed)
    base = pd.Timestamp(start, tz=ZONE)
    dealer_frame = _dealers(rng, dealers)
    consultant_frame = _consultants(rng, dealer_frame)
    n = leads

    # Collection times: more in the afternoon and at weekends, as showrooms see.
    day = rng.integers(0, days, n)
    weights = np.array([1, 1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 8, 8, 9, 9, 8, 7, 6, 6, 5, 4, 3, 2],
                       float)
    hour = rng.choice(np.arange(24), n, p=weights / weights.sum())
    created_s = day * 86400 + hour * 3600 + rng.integers(0, 3600, n)
    channel = _pick(rng, _CHANNELS, n, _CHANNEL_SHARES)
    dealer_index = rng.integers(0, dealers, n)
    dealer_id = dealer_frame["dealer_id"].to_numpy()[dealer_index]
    # A consultant of the lead's dealer (consultants are listed dealer by dealer).
    counts = consultant_frame.groupby("dealer_id").size().reindex(dealer_frame["dealer_id"]).to_numpy()
    pick = (rng.random(n) * counts[dealer_index]).astype(int)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    consultant_id = consultant_frame["consultant_id"].to_numpy()[offsets[dealer_index] + pick]
    assigned = rng.random(n) < 0.85
    assign_delay = rng.lognormal(3.5, 1.3, n)  # minutes
    entered_delay = rng.exponential(5, n) * 3600
    entered_delay[rng.random(n) < 0.06] += 30 * 3600  # some entered late (000 §4.2.1)

    model = rng.choice(_MODELS, n)
    intent = rng.random(n)  # drives how far along the lead is
    purchase = np.where(intent > 0.3, rng.integers(3, 150, n), -1).astype(float)
    purchase[purchase < 0] = np.nan
    status = np.where(rng.random(n) < 0.03, "invalid", "open").astype(object)
    won = (status == "open") & (rng.random(n) < 0.02 + 0.08 * intent)
    lost = (status == "open") & ~won & (rng.random(n) < 0.30)
    status[won] = "won"
    status[lost] = "lost"
    close_s = created_s + rng.integers(3, 75, n) * 86400
    delivered = won & (rng.random(n) < 0.7)

    lat = dealer_frame["lat"].to_numpy()[dealer_index] + rng.normal(0, 0.15, n)
    lon = dealer_frame["lon"].to_numpy()[dealer_index] + rng.normal(0, 0.15, n)
    has_location = rng.random(n) < 0.6
    phone = np.char.add(rng.choice(["138", "139", "150", "186", "137", "159"], n),
                        np.char.zfill(rng.integers(0, 10**8, n).astype(str), 8)).astype(object)
    review = np.full(n, None, dtype=object)
    review[lost] = rng.choice(["pending", "approved", "rejected"], int(lost.sum()),
                              p=[0.2, 0.7, 0.1])
    lead_ids = pa.array([f"L{i + 1:08d}" for i in range(n)], type=pa.large_string())
    every = np.arange(n)
    dealer_ids = pa.array(dealer_id, type=pa.large_string())
    consultant_ids = pa.array(consultant_id, type=pa.large_string())
    lead_frame = pd.DataFrame({
        "lead_id": _taken(lead_ids, every),
        "created_at": _instants(base, created_s),
        "entered_at": _instants(base, created_s + entered_delay),
        "channel": channel,
        "dealer_id": _taken(dealer_ids, every, assigned),
        "consultant_id": _taken(consultant_ids, every, assigned),
        "assigned_at": _instants(base, created_s + assign_delay * 60).where(assigned),
        "model": _maybe(rng, n, 0.25, model),
        "models_considered": rng.integers(1, 5, n),
        "asked_price": rng.random(n) < 0.2 + 0.5 * intent,
        "asked_config": rng.random(n) < 0.15 + 0.4 * intent,
        "purchase_within_days": purchase,
        "deposit_paid": won & (rng.random(n) < 0.6),
        "test_drive": rng.random(n) < 0.1 + 0.4 * intent,
        "store_visits": np.where(rng.random(n) < 0.4, rng.integers(1, 4, n), 0),
        "budget": np.round(rng.lognormal(12.8, 0.35, n), -3),
        "name": np.char.add(rng.choice(_SURNAMES, n).astype(str),
                            rng.choice(_GIVEN, n).astype(str)).astype(object),
        "phone": phone,
        "city": dealer_frame["city"].to_numpy()[dealer_index],
        "lat": np.where(has_location, lat, np.nan),
        "lon": np.where(has_location, lon, np.nan),
        "age": rng.integers(22, 65, n),
        "gender": _pick(rng, np.array(["male", "female"]), n, [0.62, 0.38]),
        "occupation": _pick(rng, _OCCUPATIONS, n),
        "purpose": _pick(rng, _PURPOSES, n),
        "status": status,
        "won_at": _instants(base, close_s).where(won),
        "delivered_at": _instants(base, close_s + rng.integers(3, 30, n) * 86400).where(delivered),
        "lost_at": _instants(base, close_s).where(lost),
        "lost_reason": np.where(lost, rng.choice(_LOST_REASONS, n), None),
        "lost_review": review,
        "reassignments": np.where(rng.random(n) < 0.05, 1, 0),
    })

    if driver is not None:
        _plant(lead_frame, won, driver, driver_share, np.random.default_rng([seed, 2]))

    # Touches: 5-10 before a won deal (003), fewer for the others; gaps of days, some late.
    won_touches = rng.integers(5, 11, n)
    other = (status != "invalid") & ~won
    rate = _other_touch_rate(touches_per_lead, n, won_touches[won].sum(), int(other.sum()))
    per_lead = np.where(won, won_touches, rng.poisson(rate, n))
    per_lead[status == "invalid"] = 0
    owner = np.repeat(np.arange(n), per_lead)
    m = len(owner)
    gaps = rng.exponential(4.0, m) * 86400
    gaps[rng.random(m) < 0.1] *= 4  # missed follow-ups
    first = np.zeros(m, dtype=bool)
    starts = np.concatenate([[0], np.cumsum(per_lead)[:-1]])
    first[starts[per_lead > 0]] = True
    gaps[first] = assign_delay[owner[first]] * 60 * rng.uniform(0.3, 3.0, int(first.sum()))
    cumulative = np.cumsum(gaps)
    # Restart the sum at each lead's first touch (leads without touches repeat nothing).
    head = np.minimum(starts, max(m - 1, 0))
    if m:
        cumulative -= np.repeat(cumulative[head] - gaps[head], per_lead)
    at_s = created_s[owner] + cumulative
    # Closed leads stop being followed up at their close.
    closed = (won | lost)[owner]
    at_s = np.where(closed, np.minimum(at_s, close_s[owner] - 3600 * rng.uniform(1, 48, m)), at_s)
    at_s = np.maximum(at_s, created_s[owner] + 60)
    grade_change = rng.random(m) < 0.08
    method = _pick(rng, _METHODS, m, _METHOD_SHARES)
    touch_frame = pd.DataFrame({
        "lead_id": _taken(lead_ids, owner),
        "at": _instants(base, at_s),
        "method": method,
        "consultant_id": _taken(consultant_ids, owner, assigned[owner]),
        "grade_after": _taken(pa.array(list(grades), type=pa.large_string()),
                              rng.choice(len(grades), m), grade_change),
        # Drawn apart (its own stream), so the other columns stay those of earlier versions.
        "content": _contents(np.random.default_rng([seed, 1]), np.asarray(method.codes)),
    })

    # Surveys: most owners, some others.
    asked = won | (rng.random(n) < 0.05)
    asked &= status != "invalid"
    survey_frame = pd.DataFrame({
        "lead_id": _taken(lead_ids, np.flatnonzero(asked)),
        "at": _instants(base, np.maximum(close_s, created_s + 86400)[asked]
                        + rng.integers(1, 10, int(asked.sum())) * 86400),
        "satisfied": rng.random(int(asked.sum())) < 0.86,
    })

    # Showroom visits: leads that came in, and walk-ins who left no details.
    visitors = np.flatnonzero(lead_frame["store_visits"].to_numpy() > 0)
    walk_ins = max(1, n // 4)
    arrive_s = np.concatenate([
        # In opening hours, a day or more after the lead came in.
        (created_s[visitors] // 86400 + rng.integers(1, 20, len(visitors))) * 86400
        + rng.integers(9 * 3600, 19 * 3600, len(visitors)),
        rng.integers(0, days, walk_ins) * 86400 + rng.integers(9 * 3600, 19 * 3600, walk_ins)])
    k = len(arrive_s)
    stay = rng.lognormal(3.6, 0.5, k) * 60
    visit_frame = pd.DataFrame({
        "visit_id": [f"V{i + 1:08d}" for i in range(k)],
        "dealer_id": np.concatenate([dealer_id[visitors],
                                     rng.choice(dealer_frame["dealer_id"].to_numpy(), walk_ins)]),
        "arrived_at": _instants(base, arrive_s),
        "left_at": _instants(base, arrive_s + stay),
        "lead_id": pd.Series(list(lead_frame["lead_id"].to_numpy()[visitors]) + [None] * walk_ins,
                             dtype=object),
        "consultant_id": np.concatenate([consultant_id[visitors],
                                         np.full(walk_ins, None, dtype=object)]),
        "effective": rng.random(k) < 0.55,
        "model": rng.choice(_MODELS, k),
    })
    return Synth(lead_frame, touch_frame, survey_frame, visit_frame, dealer_frame,
                 consultant_frame)
