from bot.domain.models import Frequency, Trend
from bot.domain.usage import (
    daily_series,
    day_offset,
    format_value,
    metadata_fields,
    today_start,
    visitor_usage,
    windows,
)
from bot.pendo.models import FieldSchema
from bot.pendo.queries import DAY_MS


def test_frequency_buckets_follow_pendo() -> None:
    assert [Frequency.from_days_active(d) for d in (0, 1, 4, 5, 12, 13, 30)] == [
        "inactive",
        "monthly",
        "monthly",
        "weekly",
        "weekly",
        "daily",
        "daily",
    ]


def test_trend_labels() -> None:
    assert Trend(120, 100).label == "▲ 20% vs previous 30 d"
    assert Trend(50, 100).label == "▼ 50% vs previous 30 d"
    assert Trend(5, 0).label == "new activity"
    assert Trend(0, 0).label == "no change"
    assert Trend(100, 100).label == "no change"


HOUR = 3_600_000


def test_windows_are_instants_inside_the_wanted_local_days() -> None:
    offset = 6 * HOUR  # a subscription at UTC-6: local midnight is 06:00Z
    now = 20_000 * DAY_MS + 3 * HOUR + 7 * 60_000  # 03:07Z = 21:07 the day before, locally
    today = today_start(now, offset)
    assert today == 19_999 * DAY_MS + offset
    ref = now - 7 * 60_000  # floored to the quarter hour: stable across repeated lookups
    assert windows(now, offset) == windows(now, None) == (ref - 29 * DAY_MS, ref - 59 * DAY_MS)
    # Near local midnight, with the offset known: local noon, which no DST change moves out of its day.
    late = today + DAY_MS - 30 * 60_000  # 23:30 locally
    current, both = windows(late, offset)
    assert current == today - 29 * DAY_MS + 12 * HOUR and both == today - 59 * DAY_MS + 12 * HOUR


def test_offset_is_read_from_day_values() -> None:
    assert day_offset([{"day": 5 * DAY_MS + 5 * HOUR}, {"day": 9 * DAY_MS + 6 * HOUR}]) == 6 * HOUR
    assert day_offset([{"numEvents": 1}]) is None


def test_daily_series_places_rows_by_their_day_values() -> None:
    offset = 15 * HOUR  # UTC+9: local midnight is 15:00Z the day before
    today = 100 * DAY_MS + offset
    rows = [
        {"day": today - 29 * DAY_MS, "numEvents": 3, "numMinutes": 2},
        {"day": today - 23 * HOUR, "numEvents": 7, "numMinutes": 1},  # yesterday, a 23-hour day (DST)
        {"day": today, "numEvents": 5, "numMinutes": 1},
        {"day": today - 30 * DAY_MS, "numEvents": 4, "numMinutes": 4},  # the previous period
    ]
    series = daily_series(rows, today)
    assert len(series) == 30 and series[0] == 3 and series[-2] == 7 and series[-1] == 5 and sum(series) == 15
    usage = visitor_usage(rows, today, [], [])
    assert (usage.days_active, usage.events, usage.minutes) == (3, 15, 4)
    assert usage.events_trend == Trend(15, 4) and usage.frequency == Frequency.MONTHLY


def test_metadata_fields_use_display_names_and_types() -> None:
    schema = {
        "custom": {
            "renewal": FieldSchema(Type="time", DisplayName="Renewal Date"),
            "vip": FieldSchema(Type="boolean", DisplayName="VIP"),
        }
    }
    fields = metadata_fields(
        {"custom": {"renewal": 1_735_689_600_000, "vip": False, "plan": "gold"}},
        ["custom/renewal", "custom/vip", "custom/plan", "custom/missing"],
        schema,
    )
    assert [(f.label, f.value) for f in fields] == [
        ("Renewal Date", "2025-01-01"),
        ("VIP", "no"),
        ("plan", "gold"),
    ]
    assert format_value(["a", "b"], "list") == "a, b"
