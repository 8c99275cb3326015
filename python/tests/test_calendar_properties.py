"""Properties of business-time arithmetic on the presets, over random instants and durations
(hypothesis)."""

import datetime as dt

from hypothesis import given, settings, strategies as st

from leadkit import Calendar

OFFICE = Calendar.preset("cn_office")
SHOWROOM = Calendar.preset("cn_showroom")
UTC = dt.timezone.utc
SECOND = dt.timedelta(seconds=1)

# Instants well inside cn_office's coverage, so results stay covered.
instants = st.integers(
    min_value=int(dt.datetime(2019, 1, 2, tzinfo=UTC).timestamp()),
    max_value=int(dt.datetime(2026, 6, 30, tzinfo=UTC).timestamp()),
).map(lambda s: dt.datetime.fromtimestamp(s, tz=UTC))
durations = st.integers(min_value=0, max_value=30 * 8 * 3600).map(lambda s: dt.timedelta(seconds=s))
calendars = st.sampled_from([OFFICE, SHOWROOM])


@settings(max_examples=300, deadline=None)
@given(calendars, instants, durations)
def test_business_between_inverts_add_business(cal, t, d):
    assert cal.business_between(t, cal.add_business(t, d)) == d


@settings(max_examples=300, deadline=None)
@given(calendars, instants, durations, durations)
def test_add_business_is_monotonic_in_the_duration(cal, t, d1, d2):
    lo, hi = sorted([d1, d2])
    assert cal.add_business(t, lo) <= cal.add_business(t, hi)


@settings(max_examples=300, deadline=None)
@given(calendars, instants, instants, durations)
def test_add_business_is_monotonic_in_the_start(cal, t1, t2, d):
    lo, hi = sorted([t1, t2])
    assert cal.add_business(lo, d) <= cal.add_business(hi, d)


@settings(max_examples=300, deadline=None)
@given(calendars, instants, durations.filter(lambda d: d > dt.timedelta(0)))
def test_results_are_open_or_a_closing_instant(cal, t, d):
    r = cal.add_business(t, d)
    closing = cal.is_open(r - SECOND) and not cal.is_open(r)
    assert cal.is_open(r) or closing


@settings(max_examples=200, deadline=None)
@given(calendars, instants)
def test_next_open_is_open_and_nothing_opens_before_it(cal, t):
    n = cal.next_open(t)
    assert n >= t and cal.is_open(n)
    assert cal.business_between(t, n) == dt.timedelta(0)
