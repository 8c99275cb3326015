import datetime as dt
import json
import pathlib
import shutil
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

import leadkit
from leadkit import Calendar, CalendarError, CalendarZoneError

SH = ZoneInfo("Asia/Shanghai")

OFFICE = {
    "name": "office", "time_zone": "Asia/Shanghai",
    "weekly": {d: [["09:00", "12:00"], ["13:30", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]},
    "coverage": {"from": "2024-01-01", "to": "2025-12-31", "outside": "error"},
    "closed": [{"from": "2024-02-10", "to": "2024-02-17", "note": "Spring Festival"}],
    "extra": [{"date": "2024-02-04"}, {"date": "2024-02-18"}],
}


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


@pytest.fixture(scope="module")
def office() -> Calendar:
    return Calendar.from_json(json.dumps(OFFICE))


def test_operations_on_aware_datetimes(office):
    assert office.is_open(at("2024-05-13 09:00"))
    assert not office.is_open(at("2024-05-13 12:00"))
    assert office.next_open(at("2024-05-13 12:15")) == at("2024-05-13 13:30")
    assert office.roll_to_open(at("2024-02-09 18:30")) == at("2024-02-18 09:00")
    assert office.add_business(at("2024-05-13 17:00"), dt.timedelta(hours=1)) == at("2024-05-13 18:00")
    assert office.add_business(at("2024-05-13 22:00"), dt.timedelta(hours=1)) == at("2024-05-14 10:00")
    assert office.business_between(at("2024-05-10 17:00"), at("2024-05-13 10:00")) == dt.timedelta(hours=2)
    assert office.add_days(at("2024-01-31 10:00"), 1) == at("2024-02-01 10:00")
    assert office.add_months(at("2024-01-31 10:00"), 1) == at("2024-02-29 10:00")
    assert office.is_workday(dt.date(2024, 2, 4))
    assert not office.is_workday(dt.date(2024, 2, 12))
    result = office.next_open(at("2024-05-11 10:00"))
    assert result.tzinfo is not None and result.utcoffset() == dt.timedelta(hours=8)
    # Any zone in, the calendar's zone out.
    utc = at("2024-05-13 17:00").astimezone(dt.timezone.utc)
    assert office.add_business(utc, dt.timedelta(hours=1)) == at("2024-05-13 18:00")


def test_naive_datetimes_and_wrong_types_are_rejected(office):
    with pytest.raises(ValueError, match="naive datetime 2024-05-13T09:00:00"):
        office.is_open(dt.datetime(2024, 5, 13, 9))
    with pytest.raises(TypeError, match="expected a datetime.date"):
        office.is_workday(at("2024-05-13 09:00"))
    with pytest.raises(TypeError, match="expected a timedelta"):
        office.add_business(at("2024-05-13 09:00"), 3600)
    with pytest.raises(ValueError, match="negative"):
        office.add_business(at("2024-05-13 09:00"), dt.timedelta(hours=-1))


def test_outside_the_coverage_is_an_overflow_error(office):
    with pytest.raises(OverflowError, match=r"2026-01-05 is outside the dates calendar \"office\" covers \(2024-01-01 to 2025-12-31"):
        office.is_open(at("2026-01-05 10:00"))
    assert office.coverage == (dt.date(2024, 1, 1), dt.date(2025, 12, 31))
    assert office.outside == "error"


def test_errors_come_all_at_once_with_paths():
    doc = json.loads(json.dumps(OFFICE))
    doc["weekly"]["tue"] = [["12:00", "09:00"]]
    doc["weekly"]["wed"] = [["09:00", "14:00"], ["13:30", "18:00"]]
    doc["extra"].append({"date": "2024-02-12"})
    doc["extra"].append({"date": "2027-02-07"})
    with pytest.raises(CalendarError) as caught:
        Calendar.from_json(json.dumps(doc))
    paths = [i.path for i in caught.value.issues]
    assert paths == ["/weekly/tue/0", "/weekly/wed/1", "/extra/2/date", "/extra/3/date"]
    assert not isinstance(caught.value, KeyError)
    with pytest.raises(CalendarError, match="malformed JSON at line 1"):
        Calendar.from_json("{")


def test_unknown_zone_is_a_key_error_naming_it():
    doc = dict(OFFICE, time_zone="Asia/Shangai")
    with pytest.raises(KeyError) as caught:
        Calendar.from_json(json.dumps(doc))
    assert isinstance(caught.value, CalendarZoneError)
    assert isinstance(caught.value, ValueError)
    assert 'unknown time zone "Asia/Shangai"' in str(caught.value)


def test_round_trip(office):
    again = Calendar.from_json(office.to_json())
    assert again == office
    assert again.to_json() == office.to_json()
    assert hash(again) == hash(office)
    assert "Calendar(name='office'" in repr(office)


def test_vectorised_forms_match_the_scalar_ones(office):
    times = pd.Series(pd.to_datetime(["2024-05-13 17:00", None, "2024-02-09 17:00",
                                      "2024-05-11 10:00"]).tz_localize("Asia/Shanghai"),
                      index=[10, 11, 12, 13])
    durations = pd.to_timedelta(["1h", "1h", "2h", None])
    out = office.add_business_many(times, durations)
    assert list(out.index) == [10, 11, 12, 13]
    assert out[10] == pd.Timestamp("2024-05-13 18:00", tz="Asia/Shanghai")
    assert pd.isna(out[11]) and pd.isna(out[13])
    assert out[12] == pd.Timestamp("2024-02-18 10:00", tz="Asia/Shanghai")
    one = office.add_business_many(times.dropna(), dt.timedelta(hours=1))
    assert one[13] == pd.Timestamp("2024-05-13 10:00", tz="Asia/Shanghai")
    between = office.business_between_many(times, times + pd.Timedelta(days=3))
    assert between[10] == office.business_between(at("2024-05-13 17:00"), at("2024-05-16 17:00"))
    assert pd.isna(between[11])


def test_vectorised_errors_name_the_row(office):
    times = pd.Series(pd.to_datetime(["2024-05-13 17:00", "2026-01-05 10:00"]).tz_localize("Asia/Shanghai"))
    with pytest.raises(OverflowError, match="row 1: 2026-01-05"):
        office.add_business_many(times, dt.timedelta(hours=1))
    with pytest.raises(ValueError, match="timestamps without a time zone"):
        office.add_business_many(pd.Series(pd.to_datetime(["2024-05-13 17:00"])), dt.timedelta(hours=1))


def test_presets():
    assert Calendar.presets() == ["cn_office", "cn_showroom"]
    office = Calendar.preset("cn_office")
    assert office.coverage == (dt.date(2019, 1, 1), dt.date(2026, 12, 31))
    assert office.outside == "estimate"
    showroom = Calendar.preset("cn_showroom")
    assert showroom.coverage == (dt.date(2019, 1, 1), dt.date(2035, 12, 31))
    assert showroom.outside == "estimate"
    with pytest.raises(KeyError, match="cn_office, cn_showroom"):
        Calendar.preset("cn_offce")


def test_cn_office_matches_chinese_calendar_every_day_2019_to_2026():
    chinese_calendar = pytest.importorskip("chinese_calendar")
    office = Calendar.preset("cn_office")
    day = dt.date(2019, 1, 1)
    disagreements = []
    while day <= dt.date(2026, 12, 31):
        if office.is_workday(day) != chinese_calendar.is_workday(day):
            disagreements.append(day)
        day += dt.timedelta(days=1)
    assert disagreements == []


def test_cn_office_notes_cite_the_notices():
    doc = json.loads(Calendar.preset("cn_office").to_json())
    for entry in doc["closed"] + doc["extra"]:
        assert "国办发明电" in entry["note"] or "notice" in entry["note"], entry


def test_load_reads_files_and_names_one_that_is_not_utf8(tmp_path):
    good = tmp_path / "office.json"
    good.write_text(json.dumps(OFFICE), encoding="utf-8")
    assert Calendar.load(good).name == "office"
    bad = tmp_path / "gbk.json"
    bad.write_bytes(json.dumps(dict(OFFICE, description="办公"), ensure_ascii=False).encode("gbk"))
    with pytest.raises(CalendarError, match="not UTF-8 text") as caught:
        Calendar.load(bad)
    assert str(bad) in str(caught.value)


def test_naive_times_with_tz_follow_the_calendars_daylight_saving_rule():
    from leadkit import _frames

    wall = pd.Series(pd.to_datetime(["2025-03-30 02:30", "2025-10-26 02:30",
                                     "2025-06-01 12:00", None]))
    got = _frames.localize_wall(wall, "Europe/Berlin")
    # Skipped 02:30 moves forward by the gap (03:30 CEST); the repeated one is the earlier.
    assert got.dt.tz_convert("UTC").dt.strftime("%Y-%m-%d %H:%M").tolist()[:3] == [
        "2025-03-30 01:30", "2025-10-26 00:30", "2025-06-01 10:00"]
    assert pd.isna(got.iloc[3])
    assert _frames.instant_seconds("2025-03-30 02:30", "as_of", "Europe/Berlin") == int(
        pd.Timestamp("2025-03-30 01:30", tz="UTC").timestamp())


def test_coverage_is_the_first_and_last_covered_date_or_none(office):
    assert office.coverage == (dt.date(2024, 1, 1), dt.date(2025, 12, 31))
    weekly = Calendar.from_json(json.dumps({"time_zone": "Asia/Shanghai",
                                            "weekly": {"mon": [["09:00", "18:00"]]}}))
    assert weekly.coverage is None
    assert weekly.outside == "weekly"


@pytest.mark.parametrize("outside, expected", [
    (None, "error"),  # left out: the default
    ("error", "error"),
    ("weekly", "weekly"),
    ("estimate", "estimate"),
])
def test_outside_modes_load_and_round_trip(outside, expected):
    doc = json.loads(json.dumps(OFFICE))
    if outside is None:
        del doc["coverage"]["outside"]
    else:
        doc["coverage"]["outside"] = outside
    cal = Calendar.from_json(json.dumps(doc))
    assert cal.outside == expected
    assert Calendar.from_json(cal.to_json()) == cal


def test_an_unknown_outside_mode_is_named():
    doc = json.loads(json.dumps(OFFICE))
    doc["coverage"]["outside"] = "estimated"
    with pytest.raises(CalendarError, match=r'/coverage/outside: unknown value "estimated"'):
        Calendar.from_json(json.dumps(doc))


# Documents that extend another calendar ---------------------------------------------------

def _write(path, doc) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc), encoding="utf-8")


SATURDAYS = {"extends": {"file": "../shared/office.json"}, "name": "north",
             "weekly": {"sat": [["10:00", "16:00"]]}}


def test_load_reads_an_extended_file_relative_to_the_file_that_names_it(tmp_path, monkeypatch):
    _write(tmp_path / "shared" / "office.json", OFFICE)
    _write(tmp_path / "dealers" / "north.json", SATURDAYS)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # not relative to the working directory
    north = Calendar.load(tmp_path / "dealers" / "north.json")
    assert north.name == "north"
    assert north.coverage == (dt.date(2024, 1, 1), dt.date(2025, 12, 31))
    assert north.is_open(at("2024-05-11 10:30"))  # Saturday: its own hours
    assert not north.is_open(at("2024-05-13 12:30"))  # Monday's lunch break: the base's
    assert not north.is_workday(dt.date(2024, 2, 12))  # the base's Spring Festival
    assert "extends" not in json.loads(north.to_json())
    assert Calendar.from_json(north.to_json()) == north


def test_load_follows_a_chain_of_two_files(tmp_path):
    _write(tmp_path / "shared" / "office.json", OFFICE)
    _write(tmp_path / "shared" / "office_2026.json", {
        "extends": {"file": "office.json"}, "name": "office_2026",
        "coverage": {"from": "2026-01-01", "to": "2026-12-31"},
        "closed": [{"from": "2026-01-01", "to": "2026-01-03", "note": "made-up notice"}]})
    _write(tmp_path / "dealers" / "north.json",
           dict(SATURDAYS, extends={"file": "../shared/office_2026.json"}))
    north = Calendar.load(tmp_path / "dealers" / "north.json")
    assert north.coverage == (dt.date(2024, 1, 1), dt.date(2026, 12, 31))
    assert not north.is_workday(dt.date(2026, 1, 2))  # Friday, closed by the middle file
    assert north.is_open(at("2026-01-10 10:30"))  # a Saturday, north's own hours
    assert not north.is_workday(dt.date(2024, 2, 12))  # the first file's holiday


def test_a_missing_extended_file_names_the_referencing_document_and_the_path(tmp_path):
    north = tmp_path / "dealers" / "north.json"
    _write(north, SATURDAYS)
    with pytest.raises(CalendarError) as caught:
        Calendar.load(north)
    [issue] = caught.value.issues
    resolved = str(tmp_path / "shared" / "office.json")
    assert issue.path == "/extends/file"
    assert f'cannot read calendar file "{resolved}" (file reference "../shared/office.json")' \
        in issue.message
    assert caught.value.source == str(north)
    assert str(north) in str(caught.value)


def test_files_that_extend_one_another_are_a_cycle_named_by_its_chain(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    _write(a, {"extends": {"file": "b.json"}})
    _write(b, {"extends": {"file": "a.json"}})
    with pytest.raises(CalendarError) as caught:
        Calendar.load(a)
    [issue] = caught.value.issues
    assert issue.path == "/extends/file"
    assert issue.message == f"calendar files extend one another in a cycle: {a} -> {b} -> {a}"
    assert caught.value.source == str(b)
    _write(a, {"extends": {"file": "./a.json"}})
    with pytest.raises(CalendarError, match="in a cycle: .*a.json -> .*a.json"):
        Calendar.load(a)


def test_load_calendar_file_takes_the_chain_that_led_to_it(tmp_path):
    from leadkit._calendar import load_calendar_file

    _write(tmp_path / "office.json", OFFICE)
    policy = str(tmp_path / "policy.json")
    assert load_calendar_file(tmp_path / "office.json", chain=(policy,)).name == "office"


def test_from_json_takes_the_extended_calendars_in_files(office):
    doc = json.dumps({"extends": {"file": "office.json"}, "weekly": {"sat": [["10:00", "16:00"]]}})
    assert Calendar.file_references(doc) == ["office.json"]
    assert Calendar.file_references("{") == []
    cal = Calendar.from_json(doc, files={"office.json": office})
    assert cal.is_open(at("2024-05-11 10:30"))
    assert cal.coverage == office.coverage


def test_a_reference_files_lacks_is_an_issue_naming_it(office):
    doc = json.dumps({"extends": {"file": "office.json"}})
    for files in (None, {"./office.json": office}):
        with pytest.raises(CalendarError) as caught:
            Calendar.from_json(doc, files=files)
        [issue] = caught.value.issues
        assert issue.path == "/extends/file"
        assert issue.message.startswith(
            'no calendar was loaded for the file reference "office.json"')
    with pytest.raises(TypeError, match="file reference \\(str\\) -> leadkit.Calendar"):
        Calendar.from_json(doc, files={"office.json": office.to_json()})
    with pytest.raises(CalendarError, match='/extends: unknown calendar preset "cn_ofice"; '
                                            'did you mean "cn_office"'):
        Calendar.from_json(json.dumps({"extends": "cn_ofice"}))


def test_deeply_nested_json_a_two_megabyte_calendar_is_one_error_with_its_path():
    depth = 350_000
    text = '{"a":' * depth + "{}" + "}" * depth
    with pytest.raises(CalendarError) as caught:
        Calendar.from_json(text)
    (issue,) = caught.value.issues
    assert issue.path == "/a" * 100
    assert issue.message == "calendar document nests arrays and objects deeper than 100 levels"


def test_zones_come_from_the_directory_set_then_from_the_search_again(tmp_path):
    (tmp_path / "Test").mkdir()
    shutil.copyfile(pathlib.Path(leadkit.tz_dir()) / "Asia" / "Shanghai",
                    tmp_path / "Test" / "Shanghai")
    weekly = {"mon": [["09:00", "18:00"]]}
    document = json.dumps({"time_zone": "Test/Shanghai", "weekly": weekly})
    berlin = json.dumps({"time_zone": "Europe/Berlin", "weekly": weekly})
    with pytest.raises(CalendarZoneError, match='unknown time zone "Test/Shanghai"'):
        Calendar.from_json(document)
    leadkit.set_tz_dir(tmp_path)
    try:
        assert leadkit.tz_dir() == str(tmp_path)
        calendar = Calendar.from_json(document)
        # Monday 2024-06-10 08:00 in Shanghai is 00:00 UTC: open at 09:00 local.
        opens = calendar.next_open(dt.datetime(2024, 6, 10, 0, 0, tzinfo=dt.timezone.utc))
        assert opens == dt.datetime(2024, 6, 10, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
        with pytest.raises(CalendarZoneError, match='unknown time zone "Europe/Berlin"'):
            Calendar.from_json(berlin)
    finally:
        leadkit.set_tz_dir(None)
    assert leadkit.tz_dir() != str(tmp_path)
    assert Calendar.from_json(berlin).time_zone == "Europe/Berlin"


@pytest.mark.parametrize("name", ["../zoneinfo/Asia/Shanghai", "/etc/passwd", "Asia/./Shanghai"])
def test_a_name_that_is_not_a_zone_name_reads_no_file(name):
    with pytest.raises(CalendarZoneError, match="unknown time zone"):
        Calendar.from_json(json.dumps({"time_zone": name, "weekly": {"mon": [["09:00", "18:00"]]}}))


def test_a_tz_directory_that_is_not_one_is_refused_naming_it(tmp_path):
    with pytest.raises(ValueError, match=f'"{tmp_path / "missing"}" is not a directory'):
        leadkit.set_tz_dir(tmp_path / "missing")
    assert leadkit.tz_dir() != str(tmp_path / "missing")
