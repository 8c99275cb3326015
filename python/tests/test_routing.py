import json

import numpy as np
import pandas as pd
import pytest

import leadkit
from leadkit import Policy, Router
from leadkit import synth
from times import SH, ts

POLICY = Policy.preset("three_level")


def _reassign(router: Router, lead: dict, dealer_id, grade):
    """A lead routed again within `dealer_id` by a router of its own: the reference the
    engine's hand-over and reclaim are checked against (no phone: no duplicates; no
    location: the dealer is kept)."""
    return router.route(dict(lead, dealer_id=dealer_id, grade=grade, lat=None, lon=None),
                        _phone="")


def network():
    dealers = pd.DataFrame({"dealer_id": ["D1", "D2"], "region_id": ["R1", "R1"],
                            "lat": [31.23, 31.30], "lon": [121.47, 120.62],
                            "city": ["Shanghai", "Suzhou"], "models": [None, "GLC;EQE"]})
    consultants = pd.DataFrame({"consultant_id": ["C1", "C2", "C3"],
                                "dealer_id": ["D1", "D1", "D2"], "code": ["A01", "A02", None],
                                "experience_years": [3, 0.5, 1], "max_open_leads": [None, 5, None]})
    return dealers, consultants


def test_route_returns_every_lead_in_input_order_with_the_contract_columns():
    dealers, consultants = network()
    leads = pd.DataFrame({
        "lead_id": ["L1", "L2", "L3", "L4", "L5"],
        "created_at": [ts("2026-01-05 10:00"), ts("2026-01-06 10:00"), ts("2026-01-04 10:00"),
                       ts("2026-01-07 10:00"), ts("2026-01-07 11:00")],
        "phone": ["13800138000", "+86 138 0013 8000", "0086-138-0013-8000", None, None],
        "lat": [31.2, 31.2, 31.3, None, 20.0], "lon": [121.4, 121.4, 120.7, None, 100.0],
        "model": ["C200", "C200", "GLC", None, None], "city": [None, None, None, "Suzhou", None]})
    result = leadkit.route(leads, dealers, consultants, POLICY)
    assert list(result.columns) == ["lead_id", "status", "dealer_id", "consultant_id",
                                    "distance_km", "file_number", "duplicate_of", "reason",
                                    "passed_over"]
    assert list(result["lead_id"]) == ["L1", "L2", "L3", "L4", "L5"]
    # L3 was created first, so L1 and L2 (same phone, within 30 days) are its duplicates and
    # keep its dealer and consultant, whatever the input order.
    assert list(result["status"]) == ["duplicate", "duplicate", "assigned", "assigned",
                                      "unassigned"]
    assert list(result["duplicate_of"]) == ["L3", "L3", None, None, None]
    assert result["dealer_id"][0] == result["dealer_id"][2] == "D2"
    assert list(result["reason"]) == ["duplicate", "duplicate", "nearest_dealer", "city_dealer",
                                      "no_dealer_in_range"]
    assert result["file_number"][2] == "C3-26-0001" and result["file_number"][3] == "C3-26-0002"
    assert list(result["passed_over"]) == [None] * 5


def test_open_leads_are_originals_too():
    dealers, consultants = network()
    open_leads = pd.DataFrame({"lead_id": ["OLD"], "created_at": [ts("2026-01-01 10:00")],
                               "phone": ["13800138000"], "dealer_id": ["D1"],
                               "consultant_id": ["C2"]})
    leads = pd.DataFrame({"lead_id": ["NEW"], "created_at": [ts("2026-01-10 10:00")],
                          "phone": ["138 0013 8000"], "lat": [31.3], "lon": [120.7]})
    result = leadkit.route(leads, dealers, consultants, POLICY, open_leads=open_leads)
    assert (result["status"][0], result["duplicate_of"][0], result["consultant_id"][0]) == (
        "duplicate", "OLD", "C2")


def test_router_single_leads_save_and_restore():
    dealers, consultants = network()
    router = Router(dealers, consultants, POLICY)
    high = {"lead_id": "X", "created_at": ts("2026-01-05 10:00"), "lat": 31.2, "lon": 121.4,
            "model": "C200", "asked_price": True, "purchase_within_days": 10}
    a = router.route(high)
    # A high-intent lead (grade high) goes to the consultant with 2+ years.
    assert (a.status, a.dealer_id, a.consultant_id, a.reason) == (
        "assigned", "D1", "C1", "nearest_dealer")
    assert a.file_number == "A01-26-0001"
    assert "Assignment(status='assigned'" in repr(a)
    again = Router.restore(router.save(), dealers, consultants, POLICY)
    assert again.route(dict(high, lead_id="Y")).file_number == "A01-26-0002"


@pytest.mark.parametrize("change, message", [
    (lambda d, c: d.assign(lat=[95.0, 31.3]), 'dealers.lat: dealer_id "D1": latitude 95 is outside'),
    (lambda d, c: d.assign(lon=["east", 120.62]), "dealers.lon: dealer_id 'D1' has 'east'"),
    (lambda d, c: c.assign(dealer_id=["D1", "D1", "D9"]), 'unknown dealer "D9"'),
    (lambda d, c: c.assign(consultant_id=["C1", "C1", "C3"]), "given twice"),
    (lambda d, c: c.assign(weight=[0.0, 1.0, 1.0]), "weight is 0"),
    (lambda d, c: c.assign(max_open_leads=[-1, None, None]), "negative capacity -1"),
])
def test_bad_network_rows_name_table_id_column_and_value(change, message):
    dealers, consultants = network()
    changed = change(dealers, consultants)
    if "consultant_id" in changed.columns:
        consultants = changed
    else:
        dealers = changed
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        Router(dealers, consultants, POLICY)


def test_parse_file_number():
    assert leadkit.parse_file_number("A01-26-0001") == ("A01", 26, 1)
    with pytest.raises(ValueError, match='file number "A01-2026-0001": the year is not two digits'):
        leadkit.parse_file_number("A01-2026-0001")


def test_handover_spreads_a_leaving_consultants_leads_over_the_others():
    dealers = pd.DataFrame({"dealer_id": ["D1"], "region_id": ["R1"], "lat": [31.2], "lon": [121.4]})
    consultants = pd.DataFrame({"consultant_id": ["gone", "a", "b"], "dealer_id": ["D1"] * 3,
                                "open_leads": [4, 0, 2]})
    open_leads = pd.DataFrame({
        "lead_id": ["L1", "L2", "L3", "L4", "L5"],
        "created_at": [ts("2026-01-05 10:00")] * 5,
        "dealer_id": ["D1"] * 5,
        "consultant_id": ["gone", "gone", "gone", "gone", "a"]})
    moves = leadkit.handover(open_leads, dealers, consultants, POLICY, leaving=["gone"])
    assert list(moves["lead_id"]) == ["L1", "L2", "L3", "L4"]
    assert set(moves["from_consultant_id"]) == {"gone"}
    assert list(moves["status"]) == ["moved"] * 4
    # Loads a 0, b 2: a takes two first, then they alternate: a 3, b 1.
    assert moves["to_consultant_id"].value_counts().to_dict() == {"a": 3, "b": 1}
    with pytest.raises(KeyError, match="unknown consultant 'nobody'"):
        leadkit.handover(open_leads, dealers, consultants, POLICY, leaving="nobody")


def test_reclaim_moves_uncontacted_leads_and_escalates_at_the_limit():
    dealers = pd.DataFrame({"dealer_id": ["D1"], "region_id": ["R1"], "lat": [31.2], "lon": [121.4]})
    consultants = pd.DataFrame({"consultant_id": ["slow", "fast"], "dealer_id": ["D1", "D1"]})
    leads = pd.DataFrame({
        "lead_id": ["L1", "L2", "L3"],
        "created_at": [ts("2026-01-05 10:00")] * 3,
        "dealer_id": ["D1"] * 3,
        "consultant_id": ["slow"] * 3,
        "reassignments": [0, 2, 0]})
    touches = pd.DataFrame({"lead_id": ["L3"], "at": [ts("2026-01-05 10:30")], "method": ["phone"]})
    # First contact was due at 11:00 (one business hour); at noon L1 and L2 are overdue.
    moves = leadkit.reclaim(leads, touches, dealers, consultants, POLICY,
                            as_of=ts("2026-01-05 12:00"))
    assert [tuple(r) for r in moves.itertuples(index=False)] == [
        ("L1", "slow", "fast", "reclaimed", "first_contact_overdue", 1),
        ("L2", "slow", None, "escalated", "reclaim_limit", 2)]


def test_reclaim_respects_capacity_as_loads_move_and_reports_leads_without_a_dealer():
    dealers = pd.DataFrame({"dealer_id": ["D1"], "region_id": ["R1"], "lat": [31.2], "lon": [121.4]})
    consultants = pd.DataFrame({"consultant_id": ["C1", "C2", "C3"], "dealer_id": ["D1"] * 3,
                                "max_open_leads": [None, 1, 5], "open_leads": [3, 0, 0]})
    leads = pd.DataFrame({
        "lead_id": ["L1", "L2", "L3", "L4"],
        "created_at": [ts("2026-01-05 10:00")] * 4,
        "dealer_id": ["D1", "D1", "D1", None],
        "consultant_id": ["C1"] * 4})
    touches = pd.DataFrame({"lead_id": pd.Series([], dtype=object),
                            "at": pd.Series([], dtype=f"datetime64[ns, {SH}]"),
                            "method": pd.Series([], dtype=object)})
    moves = leadkit.reclaim(leads, touches, dealers, consultants, POLICY,
                            as_of=ts("2026-01-05 12:00"))
    assert list(moves["lead_id"]) == ["L1", "L2", "L3", "L4"]
    got = moves.set_index("lead_id")
    # C2 holds at most one lead (its capacity); the rest go to C3.
    assert got["to_consultant_id"].iloc[:3].value_counts().to_dict() == {"C3": 2, "C2": 1}
    assert tuple(got.loc["L4", ["status", "reason"]]) == ("unassigned", "no_dealer")


def _reclaim_on_the_whole_network(leads, touches, dealers, consultants, policy, as_of):
    """reclaim written the plain way: every move routed by a router over the whole network,
    loads carried from move to move. (lead_id, from, to, status, reason, reassignments)."""
    tasks = leadkit.schedule(leads, touches, policy, as_of=as_of)
    late = set(tasks.loc[(tasks["task"] == "first_contact") & (tasks["status"] == "overdue"),
                         "lead_id"])
    load = dict(zip(consultants["consultant_id"],
                    consultants.get("open_leads", pd.Series(0, index=consultants.index))
                    .fillna(0).astype(int)))
    grades = leadkit.classify(leads, policy)["grade"].astype(str).tolist()
    out = []
    for i, lead in enumerate(leads.to_dict("records")):
        if lead["lead_id"] not in late:
            continue
        # Missing values come as None or NaN.
        current = None if pd.isna(lead["consultant_id"]) else lead["consultant_id"]
        count = int(lead.get("reassignments") or 0)
        if pd.isna(lead["dealer_id"]):
            out.append((lead["lead_id"], current, None, "unassigned", "no_dealer", count))
            continue
        if count >= policy._impl.reclaim_limit:
            out.append((lead["lead_id"], current, None, "escalated", "reclaim_limit", count))
            continue
        others = consultants.assign(
            active=consultants.get("active", True) & (consultants["consultant_id"] != current),
            open_leads=consultants["consultant_id"].map(load))
        a = _reassign(Router(dealers, others, policy), lead, lead["dealer_id"], grades[i])
        moved = a.status == "assigned"
        if moved:
            load[a.consultant_id] += 1
            if current in load:
                load[current] = max(0, load[current] - 1)
        out.append((lead["lead_id"], current, a.consultant_id,
                    "reclaimed" if moved else "unassigned",
                    "first_contact_overdue" if moved else a.reason, count + moved))
    return out


def test_reclaim_moves_like_a_router_over_the_whole_network():
    # Many dealers, loads that move between leads and leads without a dealer: each move's
    # router holds only the lead's dealer, and the moves are the ones a router over the whole
    # network makes.
    data = synth.generate(leads=1500, dealers=12, seed=5, grades=tuple(POLICY.grades))
    leads = data.leads.copy()
    leads["reassignments"] = leads["reassignments"].astype(int)
    leads = leads.astype({"dealer_id": object, "consultant_id": object})
    leads.loc[leads.index[::97], "dealer_id"] = None
    consultants = data.consultants
    as_of = data.touches["at"].max()
    moves = leadkit.reclaim(leads, data.touches, data.dealers, consultants, POLICY, as_of=as_of)
    expected = _reclaim_on_the_whole_network(leads, data.touches, data.dealers, consultants,
                                             POLICY, as_of)
    assert len(expected) > 50
    assert {e[3] for e in expected} >= {"reclaimed", "unassigned"}
    assert [tuple(r) for r in moves.itertuples(index=False)] == expected

    # A late lead of a dealer missing from the dealers table is an error naming it.
    late = moves.loc[moves["status"] == "reclaimed", "lead_id"].iloc[0]
    leads.loc[leads["lead_id"] == late, "dealer_id"] = "D-gone"
    with pytest.raises(ValueError, match=f'{late}: dealer_id "D-gone" is not in the dealers'):
        leadkit.reclaim(leads, data.touches, data.dealers, consultants, POLICY, as_of=as_of)


def test_handover_keeps_a_lead_without_a_dealer_at_the_leaving_consultants_dealer():
    dealers = pd.DataFrame({"dealer_id": ["D1", "D2"], "region_id": ["R1", "R1"],
                            "lat": [31.2, 31.3], "lon": [121.4, 121.5],
                            "city": ["Shanghai", "SH"]})
    consultants = pd.DataFrame({"consultant_id": ["C1", "C2", "C4"],
                                "dealer_id": ["D1", "D1", "D2"]})
    open_leads = pd.DataFrame({"lead_id": ["L2"], "created_at": [ts("2026-01-05 10:00")],
                               "dealer_id": [None], "consultant_id": ["C1"], "city": ["SH"]})
    moves = leadkit.handover(open_leads, dealers, consultants, POLICY, leaving="C1")
    assert moves["to_consultant_id"].tolist() == ["C2"]


def test_text_in_the_active_column_is_an_error_not_true():
    dealers, consultants = network()
    consultants = consultants.assign(active=["true", "false", "false"])
    leads = pd.DataFrame({"lead_id": ["L1"], "created_at": [ts("2026-01-05 10:00")]})
    with pytest.raises(ValueError, match=r"consultants.active: consultant_id 'C1' has 'true'"):
        leadkit.route(leads, dealers, consultants, POLICY)


def test_open_leads_chain_from_their_latest_lead_and_phones_must_be_text():
    dealers, consultants = network()
    open_leads = pd.DataFrame({
        "lead_id": ["O2", "O1"], "created_at": [ts("2026-06-26 10:00"), ts("2026-06-01 10:00")],
        "phone": ["13800001111", "13800001111"], "dealer_id": ["D1", "D1"],
        "consultant_id": ["C2", "C1"]})
    lead = {"lead_id": "N1", "created_at": ts("2026-07-10 10:00"), "phone": "13800001111",
            "lat": 31.2, "lon": 121.4}
    a = Router(dealers, consultants, POLICY, open_leads=open_leads).route(lead)
    # 39 days after O1 but 14 after O2, the chain's latest lead: a duplicate of the chain's
    # first lead, with its consultant.
    assert (a.status, a.duplicate_of, a.consultant_id) == ("duplicate", "O1", "C1")
    # A gap wider than the window starts a new chain.
    apart = open_leads.assign(created_at=[ts("2026-06-26 10:00"), ts("2026-04-01 10:00")])
    b = Router(dealers, consultants, POLICY, open_leads=apart).route(lead)
    assert (b.status, b.duplicate_of, b.consultant_id) == ("duplicate", "O2", "C2")
    numbers = open_leads.assign(phone=[13800001111.0, 13800001111.0])
    with pytest.raises(ValueError, match=r"open_leads.phone: lead_id 'O2' has 138\*+"):
        Router(dealers, consultants, POLICY, open_leads=numbers)


def test_an_impossible_location_names_the_column_and_value():
    dealers, consultants = network()
    leads = pd.DataFrame({"lead_id": ["L1"], "created_at": [ts("2026-01-05 10:00")],
                          "lat": [31.0], "lon": [190.5]})
    with pytest.raises(ValueError, match=r'leads\.lon: lead_id "L1": longitude 190\.5 is outside '
                                         r'\[-180, 180\]'):
        leadkit.route(leads, dealers, consultants, POLICY)


def test_one_by_one_and_batch_agree_when_the_original_is_unassigned():
    dealers, consultants = network()
    leads = pd.DataFrame({"lead_id": ["U1", "U2"],
                          "created_at": [ts("2026-01-05 10:00"), ts("2026-01-06 10:00")],
                          "phone": ["13900002222"] * 2, "lat": [None, None], "lon": [None, None]})
    batch = leadkit.route(leads, dealers, consultants, POLICY)
    router = Router(dealers, consultants, POLICY)
    single = [router.route(row) for row in leads.to_dict("records")]
    assert batch["status"].tolist() == [a.status for a in single] == ["unassigned", "duplicate"]
    assert batch["duplicate_of"].tolist()[1] == single[1].duplicate_of == "U1"


# --- models: lists, tuples, arrays, Arrow lists and separated text ---------------------------

def _lead(lead_id, model, **more):
    return {"lead_id": lead_id, "created_at": ts("2026-01-05 10:00"), "lat": 31.2, "lon": 121.4,
            "model": model, **more}


def test_models_given_as_a_list_are_not_read_as_text():
    """Regression: ``models`` as a Python list became the text "['C200']", so the C200
    consultant seemed to know no model of ours (a high-intent C200 buyer fell back on the
    junior who knows every model, reason experience_fallback) and the near dealer seemed not to
    sell the GLC (a GLC buyer went to the dealer 75 km away); a list of two raised "truth value
    of an array is ambiguous"."""
    dealers = pd.DataFrame({"dealer_id": ["NEAR", "FAR"], "region_id": ["R1", "R1"],
                            "lat": [31.23, 31.30], "lon": [121.47, 120.62],
                            "models": [["C200", "GLC"], None]})
    consultants = pd.DataFrame({
        "consultant_id": ["K_C200", "K_GLC", "K_NEW", "F1"],
        "dealer_id": ["NEAR", "NEAR", "NEAR", "FAR"],
        "models": [["C200"], ["GLC"], None, None],
        "experience_years": [5, 4, 0.5, 9]})
    leads = pd.DataFrame([
        _lead("BUY_C200", "C200", asked_price=True, purchase_within_days=10),
        _lead("BUY_GLC", "GLC", asked_price=True, purchase_within_days=10)])
    result = leadkit.route(leads, dealers, consultants, POLICY)
    # Both are high-intent (three_level: model, asked price, buying within 90 days): at NEAR
    # (7.4 km) the consultant who knows the model and has 2+ years takes each.
    assert list(result["dealer_id"]) == ["NEAR", "NEAR"]
    assert list(result["consultant_id"]) == ["K_C200", "K_GLC"]
    assert list(result["reason"]) == ["nearest_dealer", "nearest_dealer"]
    assert result["distance_km"][1] == pytest.approx(7.446, abs=0.001)
    # One model a row, as one-element lists (silently misread before, not an error): the same.
    single = dealers.assign(models=[["GLC"], None])
    glc = leadkit.route(leads.iloc[[1]], single, consultants, POLICY)
    assert (glc["dealer_id"][0], glc["consultant_id"][0]) == ("NEAR", "K_GLC")
    c200 = leadkit.route(leads.iloc[[0]], dealers.assign(models="C200;GLC"), consultants, POLICY)
    assert (c200["consultant_id"][0], c200["reason"][0]) == ("K_C200", "nearest_dealer")


def _one_dealer(models_of_k1):
    dealers = pd.DataFrame({"dealer_id": ["D1"], "region_id": ["R1"], "lat": [31.23],
                            "lon": [121.47]})
    consultants = pd.DataFrame({"consultant_id": ["K1", "K2"], "dealer_id": ["D1", "D1"],
                                "models": pd.Series([models_of_k1, "EQE"], dtype=object)})
    return dealers, consultants


def _who_takes(dealers, consultants, models=("C200", "GLC", "EQE", "X5")):
    """Who takes a low-intent lead of each model, routed alone (so loads do not matter):
    K1 when it knows the model; K2 knows only the EQE."""
    out = {}
    for model in models:
        result = leadkit.route(pd.DataFrame([_lead("L", model)]), dealers, consultants, POLICY)
        taken = result["consultant_id"][0]
        out[model] = taken if taken is not None else result["reason"][0]
    return out


# K1 knows C200 and GLC: C200 and GLC leads are K1's, EQE leads go to whoever is less loaded
# of the two (alone: the hash decides, so they are left out), X5 has nobody.
KNOWS_C200_AND_GLC = {"C200": "K1", "GLC": "K1", "X5": "no_eligible_consultant"}


@pytest.mark.parametrize("models", [
    ["C200", "GLC"],
    ("C200", "GLC"),
    np.array(["C200", "GLC"], dtype=object),
    np.array(["C200", "GLC"]),
    [" C200 ", "GLC", ""],
    "C200;GLC",
    "C200,GLC",
    " C200 ; GLC ",
    "C200, GLC;",
], ids=["list", "tuple", "object-array", "str-array", "list-with-spaces", "semicolons", "commas",
        "spaces", "mixed-separators"])
def test_models_cells_in_every_accepted_form(models):
    dealers, consultants = _one_dealer(models)
    assert _who_takes(dealers, consultants, ("C200", "GLC", "X5")) == KNOWS_C200_AND_GLC


@pytest.mark.parametrize("models", [None, float("nan"), pd.NA, [], "", " ; ", ()],
                         ids=["None", "NaN", "NA", "empty-list", "empty-text", "separators-only",
                              "empty-tuple"])
def test_null_or_empty_models_mean_every_model(models):
    dealers, consultants = _one_dealer(models)
    # K1 knows every model: C200, GLC and X5 leads are K1's (K2 knows only the EQE).
    assert _who_takes(dealers, consultants, ("C200", "GLC", "X5")) == {
        "C200": "K1", "GLC": "K1", "X5": "K1"}


def test_models_as_arrow_list_columns():
    pa = pytest.importorskip("pyarrow")
    dealers, consultants = _one_dealer(None)
    arrow = consultants.assign(models=pd.Series(
        [["C200", "GLC"], ["EQE"]], dtype=pd.ArrowDtype(pa.list_(pa.string()))))
    assert _who_takes(dealers, arrow, ("C200", "GLC", "X5")) == KNOWS_C200_AND_GLC
    table = pa.table({"consultant_id": ["K1", "K2"], "dealer_id": ["D1", "D1"],
                      "models": pa.array([["C200", "GLC"], ["EQE"]], pa.list_(pa.string()))})
    assert _who_takes(dealers, table, ("C200", "GLC", "X5")) == KNOWS_C200_AND_GLC
    # Null and empty lists in an Arrow column: every model, so two X5 leads go one to each.
    everything = pa.table({"consultant_id": ["K1", "K2"], "dealer_id": ["D1", "D1"],
                           "models": pa.array([None, []], pa.list_(pa.string()))})
    two = pd.DataFrame([_lead("A", "X5"), _lead("B", "X5")])
    assert set(leadkit.route(two, dealers, everything, POLICY)["consultant_id"]) == {"K1", "K2"}
    # Dealers' models as an Arrow list column: D1 sells only the EQE.
    sells = pa.table({"dealer_id": ["D1"], "region_id": ["R1"], "lat": [31.23],
                      "lon": [121.47], "models": pa.array([["EQE"]], pa.list_(pa.string()))})
    result = leadkit.route(pd.DataFrame([_lead("A", "C200"), _lead("B", "EQE")]), sells,
                           consultants.assign(models=[None, None]), POLICY)
    assert list(result["reason"]) == ["no_dealer_for_model", "nearest_dealer"]
    assert list(result["dealer_id"]) == [None, "D1"]


@pytest.mark.parametrize("table, models, shown", [
    ("consultants", 5, "5"),
    ("consultants", {"C200": True}, "{'C200': True}"),
    ("consultants", ["C200", 5], "['C200', 5]"),
    ("consultants", ["C200", None], "['C200', None]"),
    ("consultants", np.array([1.0, 2.0]), "[1.0, 2.0]"),
    ("dealers", 3.5, "3.5"),
    ("dealers", ["GLC", ["C200"]], "['GLC', ['C200']]"),
])
def test_models_of_another_kind_name_table_id_column_and_value(table, models, shown):
    dealers, consultants = _one_dealer(None)
    if table == "dealers":
        dealers = dealers.assign(models=pd.Series([models], dtype=object))
        where = "dealers.models: dealer_id 'D1'"
    else:
        consultants = consultants.assign(models=pd.Series([models, None], dtype=object))
        where = "consultants.models: consultant_id 'K1'"
    with pytest.raises(ValueError) as error:
        Router(dealers, consultants, POLICY)
    assert str(error.value) == (
        f"{where} has {shown}; expected model names: a list of strings, or text separated by "
        "';' or ','; null or empty for every model")


# --- overflow: what the nearest dealer cannot serve -------------------------------------------

KM_PER_DEGREE = 6371.0088 * np.pi / 180  # along a meridian


def _north(*dealers):
    """Dealers due north of the leads at (30, 120): (dealer_id, degrees, active)."""
    return pd.DataFrame({"dealer_id": [d[0] for d in dealers], "region_id": "R1",
                         "lat": [30 + d[1] for d in dealers], "lon": 120.0,
                         "active": [d[2] if len(d) > 2 else True for d in dealers]})


def _overflow_policy(value):
    doc = json.loads(POLICY.to_json())
    doc["routing"]["overflow"] = value
    return Policy.from_json(json.dumps(doc))


def _at_30_120(*ids, model="C200"):
    return pd.DataFrame({"lead_id": list(ids), "created_at": ts("2026-01-05 10:00"),
                         "lat": 30.0, "lon": 120.0, "model": model})


def test_overflow_goes_to_the_next_nearest_dealer_that_can_serve_and_says_why():
    # A 11.1 km, B 33.4 km, C 55.6 km away; X nearer still but inactive; F 111.2 km, beyond
    # the preset's 100 km.
    dealers = _north(("X", 0.05, False), ("A", 0.1), ("B", 0.3), ("C", 0.5), ("F", 1.0))
    consultants = pd.DataFrame({
        "consultant_id": ["x1", "a_glc", "a_c200", "b_eqe", "c1", "f1"],
        "dealer_id": ["X", "A", "A", "B", "C", "F"],
        "models": ["", "GLC", "C200", "EQE", None, None],
        # A's C200 consultant holds 1 of 2: one more lead, then A is full for the C200.
        "max_open_leads": [None, None, 2, None, 1, None],
        "open_leads": [0, 0, 1, 0, 0, 0]})
    leads = _at_30_120("L1", "L2", "L3", "L4").assign(model=["C200", "C200", "C200", "GLC"])
    result = leadkit.route(leads, dealers, consultants, POLICY)
    # L1: A serves it. L2: A is full for the C200, B knows only the EQE, C takes it (its
    # capacity of 1). L3: A full, B no model, C now full, F out of range: unassigned at A.
    # L4 (GLC): A's GLC consultant.
    assert list(result["status"]) == ["assigned", "assigned", "unassigned", "assigned"]
    assert list(result["dealer_id"]) == ["A", "C", "A", "A"]
    assert list(result["consultant_id"]) == ["a_c200", "c1", None, "a_glc"]
    assert list(result["reason"]) == ["nearest_dealer", "nearest_full",
                                      "no_eligible_consultant", "nearest_dealer"]
    assert list(result["passed_over"]) == [
        None, "A:nearest_full;B:no_model_at_nearest",
        "A:nearest_full;B:no_model_at_nearest;C:nearest_full", None]
    assert result["distance_km"].tolist() == pytest.approx(
        [0.1 * KM_PER_DEGREE, 0.5 * KM_PER_DEGREE, 0.1 * KM_PER_DEGREE, 0.1 * KM_PER_DEGREE])
    assert result["file_number"][1] == "c1-26-0001"


def test_overflow_none_keeps_a_lead_unassigned_at_its_nearest_dealer():
    dealers = _north(("A", 0.1), ("B", 0.3))
    consultants = pd.DataFrame({"consultant_id": ["a1", "b1"], "dealer_id": ["A", "B"],
                                "models": ["GLC", None]})
    leads = _at_30_120("L1")
    moved = leadkit.route(leads, dealers, consultants, _overflow_policy("next_dealer"))
    assert (moved["dealer_id"][0], moved["consultant_id"][0], moved["reason"][0],
            moved["passed_over"][0]) == ("B", "b1", "no_model_at_nearest",
                                         "A:no_model_at_nearest")
    stay = leadkit.route(leads, dealers, consultants, _overflow_policy("none"))
    assert (stay["status"][0], stay["dealer_id"][0], stay["consultant_id"][0],
            stay["reason"][0], stay["passed_over"][0]) == (
        "unassigned", "A", None, "no_eligible_consultant", None)
    assert stay["distance_km"][0] == pytest.approx(0.1 * KM_PER_DEGREE)


def test_router_route_lists_the_dealers_passed_over():
    dealers = _north(("A", 0.1), ("B", 0.3))
    consultants = pd.DataFrame({"consultant_id": ["a1", "b1"], "dealer_id": ["A", "B"],
                                "max_open_leads": [0, None]})
    a = Router(dealers, consultants, POLICY).route(
        {"lead_id": "L1", "created_at": ts("2026-01-05 10:00"), "lat": 30.0, "lon": 120.0})
    assert (a.status, a.dealer_id, a.consultant_id, a.reason) == (
        "assigned", "B", "b1", "nearest_full")
    assert [(d, r) for d, r, _ in a.passed_over] == [("A", "nearest_full")]
    assert a.passed_over[0][2] == pytest.approx(0.1 * KM_PER_DEGREE)
    assert a.reasons == ["nearest_dealer: A", "nearest_full: A", "next_dealer: B",
                         "least_loaded: b1"]


def test_handover_and_reclaim_keep_leads_at_their_dealer_whatever_the_overflow():
    # D2 is 7 km from D1 and has a free consultant; a lead of D1 still stays with D1.
    dealers = pd.DataFrame({"dealer_id": ["D1", "D2"], "region_id": ["R1", "R1"],
                            "lat": [31.23, 31.25], "lon": [121.47, 121.40]})
    consultants = pd.DataFrame({"consultant_id": ["gone", "d2"], "dealer_id": ["D1", "D2"]})
    open_leads = pd.DataFrame({"lead_id": ["L1"], "created_at": [ts("2026-01-05 10:00")],
                               "dealer_id": ["D1"], "consultant_id": ["gone"],
                               "lat": [31.23], "lon": [121.47]})
    moves = leadkit.handover(open_leads, dealers, consultants, POLICY, leaving=["gone"])
    assert (moves["status"][0], moves["to_consultant_id"][0], moves["reason"][0]) == (
        "unassigned", None, "no_eligible_consultant")
    leads = open_leads.assign(channel="website", assigned_at=[ts("2026-01-05 10:00")])
    touches = pd.DataFrame({"lead_id": pd.Series([], dtype=object),
                            "at": pd.Series([], dtype="datetime64[ns, Asia/Shanghai]"),
                            "method": pd.Series([], dtype=object)})
    reclaimed = leadkit.reclaim(leads, touches, dealers, consultants, POLICY,
                                as_of=ts("2026-01-07 10:00"))
    assert (reclaimed["status"][0], reclaimed["to_consultant_id"][0],
            reclaimed["reason"][0]) == ("unassigned", None, "no_eligible_consultant")


# Fault 6 of the hardening issue: routing's rules are the other engines' rules.

def _leads_with_l1_twice() -> pd.DataFrame:
    return pd.DataFrame({"lead_id": ["L1", "L2", "L1"],
                         "created_at": [ts("2026-01-05 10:00")] * 3,
                         "channel": ["website"] * 3,
                         "lat": [31.2] * 3, "lon": [121.4] * 3})


def test_inconsistent_rules_a_duplicated_lead_id_is_refused_by_route_as_by_kpis():
    dealers, consultants = network()
    leads = _leads_with_l1_twice()
    message = 'leads row 2: lead_id "L1" is given twice (first at row 0)'
    with pytest.raises(ValueError) as routed:
        leadkit.route(leads, dealers, consultants, POLICY)
    touches = pd.DataFrame({"lead_id": pd.Series([], dtype=object),
                            "at": pd.Series([], dtype="datetime64[ns, UTC]"),
                            "method": pd.Series([], dtype=object)})
    with pytest.raises(ValueError) as counted:
        leadkit.kpis(leads, touches, POLICY, as_of=ts("2026-01-10 10:00"))
    assert str(routed.value) == message
    assert str(counted.value) == message


def test_inconsistent_rules_a_duplicated_lead_id_is_refused_by_handover():
    dealers, consultants = network()
    open_leads = _leads_with_l1_twice().assign(dealer_id="D1", consultant_id="C1")
    with pytest.raises(ValueError, match=r'^open_leads row 2: lead_id "L1" is given twice '
                                         r'\(first at row 0\)$'):
        leadkit.handover(open_leads, dealers, consultants, POLICY, leaving=["C1"])


def test_inconsistent_rules_an_impossible_coordinate_is_an_error_wherever_it_appears():
    dealers, consultants = network()
    alone = pd.DataFrame({"lead_id": ["L1"], "created_at": [ts("2026-01-05 10:00")],
                          "lat": [None], "lon": [-500.0]})
    with pytest.raises(ValueError, match=r'^leads row 0: leads\.lon: lead_id "L1": longitude '
                                         r'-500 is outside \[-180, 180\]$'):
        leadkit.route(alone, dealers, consultants, POLICY)
    router = Router(dealers, consultants, POLICY)
    with pytest.raises(ValueError, match=r'leads\.lat: lead_id "L2": latitude -91 is outside '
                                         r'\[-90, 90\]'):
        router.route({"lead_id": "L2", "created_at": ts("2026-01-05 10:00"), "lat": -91})
    with pytest.raises(ValueError, match=r'leads\.lon: lead_id "L3": longitude 200 is outside'):
        router.route({"lead_id": "L3", "created_at": ts("2026-01-05 10:00"), "dealer_id": "D1",
                      "lat": 31.2, "lon": 200.0})


# Faults 2 and 3 of the hardening issue: a saved router state cannot lie and holds no phone.

KEY = bytes(range(16))


def _router_with_history(phone_key=KEY):
    dealers, consultants = network()
    router = Router(dealers, consultants, POLICY, phone_key=phone_key)
    for lead_id, phone in (("P1", "+86 138-0013-8000"), ("P2", "139 0013 9000")):
        router.route({"lead_id": lead_id, "created_at": ts("2026-01-05 10:00"), "lat": 31.2,
                      "lon": 121.4, "phone": phone})
    return router, dealers, consultants


def test_saved_state_can_lie_every_changed_or_cut_byte_is_a_value_error():
    router, dealers, consultants = _router_with_history()
    good = router.save()
    for position in range(len(good)):
        bad = bytearray(good)
        bad[position] ^= 0x04
        with pytest.raises(ValueError, match="router state bytes"):
            Router.restore(bytes(bad), dealers, consultants, POLICY, phone_key=KEY)
        with pytest.raises(ValueError, match="router state bytes"):
            Router.restore(good[:position], dealers, consultants, POLICY, phone_key=KEY)


def test_saved_state_can_lie_another_network_is_a_value_error_not_a_runtime_error():
    router, dealers, consultants = _router_with_history()
    with pytest.raises(ValueError, match=r'router state bytes: consultant "C1" is not in this '
                                         r'network \(saved over another one\?\)'):
        Router.restore(router.save(), dealers, consultants.assign(consultant_id=["X1", "C2", "C3"]),
                       POLICY, phone_key=KEY)


def test_saved_state_can_lie_format_one_must_be_saved_anew():
    dealers, consultants = network()
    old = b"leadkit-router 1\nR\tC1\t1\nS\tC1\t25\t-2\nP\t13800138000\t0\tL1\tD1\tC1\n"
    with pytest.raises(ValueError, match="router state of format 1"):
        Router.restore(old, dealers, consultants, POLICY)


def test_personal_data_at_rest_the_saved_state_holds_no_phone_number():
    router, dealers, consultants = _router_with_history()
    saved = router.save()
    for digits in (b"13800138000", b"13900139000", b"0013"):
        assert digits not in saved
    # Restored under its key, duplicates are still found.
    again = Router.restore(saved, dealers, consultants, POLICY, phone_key=KEY)
    a = again.route({"lead_id": "P3", "created_at": ts("2026-01-09 10:00"), "lat": 31.2,
                     "lon": 121.4, "phone": "13800138000"})
    assert (a.status, a.duplicate_of) == ("duplicate", "P1")


def test_personal_data_at_rest_a_state_restores_only_under_its_key():
    router, dealers, consultants = _router_with_history()
    saved = router.save()
    with pytest.raises(ValueError, match=r"its 2 phone chain\(s\) were hashed under another "
                                         r"phone_key"):
        Router.restore(saved, dealers, consultants, POLICY, phone_key=bytes(16))
    with pytest.raises(ValueError, match=r"\(this router has none\)"):
        Router.restore(saved, dealers, consultants, POLICY)


def test_personal_data_at_rest_without_a_key_phones_are_not_saved():
    router, _, _ = _router_with_history(phone_key=None)
    with pytest.raises(RuntimeError, match=r"has seen 2 phone number\(s\) for duplicate "
                                           r"detection and has no phone_key"):
        router.save()
    dealers, consultants = network()
    with pytest.raises(ValueError, match=r"phone_key: expected 16 bytes \(secrets.token_bytes"
                                         r"\(16\)\), got 3"):
        Router(dealers, consultants, POLICY, phone_key=b"abc")
    with pytest.raises(TypeError, match="phone_key: expected 16 bytes, got str"):
        Router(dealers, consultants, POLICY, phone_key="0123456789abcdef")
