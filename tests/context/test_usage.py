from bot.context.models import Frequency, Trend
from bot.context.usage import daily_series, format_value, metadata_fields, visitor_usage, windows
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


def test_windows_are_30_days_including_today() -> None:
    now = 20_000 * DAY_MS + 5_000_000
    current, previous = windows(now)
    assert current == 19_971 * DAY_MS and previous == 19_941 * DAY_MS


def test_daily_series_zero_fills_and_totals() -> None:
    first = 100 * DAY_MS
    rows = [
        {"day": first, "numEvents": 3, "numMinutes": 2},
        {"day": first + 29 * DAY_MS, "numEvents": 5, "numMinutes": 1},
    ]
    series = daily_series(rows, first)
    assert len(series) == 30 and series[0] == 3 and series[-1] == 5 and sum(series) == 8
    usage = visitor_usage(rows, [{"day": first - DAY_MS, "numEvents": 4, "numMinutes": 4}], first, [], [])
    assert (usage.days_active, usage.events, usage.minutes) == (2, 8, 3)
    assert usage.events_trend == Trend(8, 4) and usage.frequency == Frequency.MONTHLY


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
