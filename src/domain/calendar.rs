//! The working-day calendar and legal deadlines.
//!
//! Publicity and review periods count working days (工作日, DOMAIN.md §6): Monday to Friday,
//! minus the public holidays of the State Council's yearly holiday notice, plus the weekend days
//! that notice turns into working days (调休). The notices are shipped as data — one
//! holiday-cn JSON file a year under `workflows/calendar/holiday-cn/`, compiled in through
//! [`BUILTIN_YEARS`] — and a new year's file can be added at run time ([`WorkCalendar::add`]).
//!
//! A year is *covered* only when its own file was loaded. Asking about a date in a year that is
//! not covered is refused with [`CalendarError::NoCalendarForYear`]: guessing "weekdays only"
//! would silently put a deadline on a holiday.
//!
//! Deadlines follow the Civil Code (民法典):
//! - art. 201: the day the period starts is not counted; counting begins the next day;
//! - art. 202: a period in months ends on the corresponding day of the last month, or on that
//!   month's last day when it has no corresponding day (Jan 31 + 1 month → Feb 28 or 29);
//! - art. 203: when the last day is a statutory rest day (法定休假日: a public holiday or a
//!   weekend not made a working day by 调休), the period ends on the day after the rest days,
//!   i.e. the next working day. A period ends at 24:00 of its last day ([`has_elapsed`]).
//!
//! Nothing here reads a clock or a file; callers pass dates in.

use chrono::{Datelike, Months, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The holiday notices compiled into the binary: (year, holiday-cn JSON).
pub const BUILTIN_YEARS: &[(i32, &str)] = &[
    (
        2023,
        include_str!("../../workflows/calendar/holiday-cn/2023.json"),
    ),
    (
        2024,
        include_str!("../../workflows/calendar/holiday-cn/2024.json"),
    ),
    (
        2025,
        include_str!("../../workflows/calendar/holiday-cn/2025.json"),
    ),
    (
        2026,
        include_str!("../../workflows/calendar/holiday-cn/2026.json"),
    ),
];

/// Oldest and newest year a holiday file may claim. The State Council has issued yearly notices
/// in this form since 2000; anything outside is a typo, not a calendar.
const FIRST_YEAR: i32 = 2000;
const LAST_YEAR: i32 = 2200;

/// Why the calendar refused. Messages are lowercase, without a final period.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error(
        "no working-day calendar for year {year}: import the State Council holiday notice for {year} first"
    )]
    NoCalendarForYear { year: i32 },
    #[error("bad holiday file: {reason}")]
    BadFile { reason: String },
    #[error("the calendar for year {year} is already loaded")]
    YearAlreadyLoaded { year: i32 },
    #[error("{date} is a holiday in one notice and an adjusted working day in another")]
    ConflictingDay { date: NaiveDate },
    #[error("a deadline needs an amount of at least 1")]
    ZeroAmount,
    #[error("a deadline of {amount} {unit:?} from {start} is outside the supported dates")]
    OutOfRange {
        start: NaiveDate,
        amount: u32,
        unit: DeadlineUnit,
    },
}

/// The raw shape of a holiday-cn file; `$schema` and `$id` are ignored.
#[derive(Deserialize)]
struct RawHolidayFile {
    year: i32,
    #[serde(default)]
    papers: Vec<String>,
    days: Vec<RawHolidayDay>,
}

#[derive(Deserialize)]
struct RawHolidayDay {
    name: String,
    date: String,
    #[serde(rename = "isOffDay")]
    is_off_day: bool,
}

/// One day a holiday notice changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayDay {
    /// The holiday it belongs to, e.g. "国庆节".
    pub name: String,
    pub date: NaiveDate,
    /// `true`: a holiday (no work); `false`: an adjusted working day (调休).
    pub is_off_day: bool,
}

/// One year's holiday notice, parsed and checked: the year is sane, every date parses and lies in
/// that year (or in the December before it, which a notice may reach into), an adjusted working
/// day falls on a weekend, and no date is listed twice with contradicting flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayFile {
    year: i32,
    papers: Vec<String>,
    days: Vec<HolidayDay>,
}

impl HolidayFile {
    /// Parses a holiday-cn JSON file (`{ "year", "papers", "days": [{ "name", "date", "isOffDay" }] }`).
    pub fn parse(json: &str) -> Result<HolidayFile, CalendarError> {
        let raw: RawHolidayFile =
            serde_json::from_str(json).map_err(|e| CalendarError::BadFile {
                reason: e.to_string(),
            })?;
        let year = raw.year;
        let bad = |reason: String| CalendarError::BadFile {
            reason: format!("year {year}: {reason}"),
        };
        if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
            return Err(CalendarError::BadFile {
                reason: format!("year {year} is outside {FIRST_YEAR}–{LAST_YEAR}"),
            });
        }
        if raw.days.is_empty() {
            return Err(bad("lists no days".to_string()));
        }
        let mut seen: BTreeMap<NaiveDate, bool> = BTreeMap::new();
        let mut days = Vec::with_capacity(raw.days.len());
        for d in raw.days {
            let date = NaiveDate::parse_from_str(&d.date, "%Y-%m-%d")
                .map_err(|e| bad(format!("date {:?} does not parse: {e}", d.date)))?;
            let in_year = date.year() == year;
            let december_before = date.year() == year - 1 && date.month() == 12;
            if !in_year && !december_before {
                return Err(bad(format!(
                    "date {date} lies outside the year and the december before it"
                )));
            }
            if !d.is_off_day && !is_weekend(date) {
                return Err(bad(format!(
                    "{date} is listed as an adjusted working day but is not a weekend"
                )));
            }
            match seen.insert(date, d.is_off_day) {
                Some(previous) if previous != d.is_off_day => {
                    return Err(bad(format!(
                        "{date} is listed both as a holiday and as a working day"
                    )));
                }
                Some(_) => continue, // the same fact twice: keep the first.
                None => {}
            }
            days.push(HolidayDay {
                name: d.name,
                date,
                is_off_day: d.is_off_day,
            });
        }
        Ok(HolidayFile {
            year,
            papers: raw.papers,
            days,
        })
    }

    pub fn year(&self) -> i32 {
        self.year
    }
    /// Addresses of the State Council notices the file was taken from.
    pub fn papers(&self) -> &[String] {
        &self.papers
    }
    pub fn days(&self) -> &[HolidayDay] {
        &self.days
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The merged working-day calendar of every loaded year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    /// Years whose own notice was loaded.
    years: BTreeSet<i32>,
    /// Every listed day of every loaded notice, merged by date: `true` = holiday, `false` =
    /// adjusted working day. A December date may come from the next year's notice.
    overrides: BTreeMap<NaiveDate, bool>,
}

impl WorkCalendar {
    /// An empty calendar: it covers no year and refuses every date.
    pub fn empty() -> WorkCalendar {
        WorkCalendar::default()
    }

    /// The calendar of [`BUILTIN_YEARS`]. Fails only if a shipped file is broken, which the tests
    /// of this module rule out.
    pub fn builtin() -> Result<WorkCalendar, CalendarError> {
        let mut files = Vec::with_capacity(BUILTIN_YEARS.len());
        for (year, json) in BUILTIN_YEARS {
            let file = HolidayFile::parse(json)?;
            if file.year() != *year {
                return Err(CalendarError::BadFile {
                    reason: format!("the builtin file for {year} says it is for {}", file.year()),
                });
            }
            files.push(file);
        }
        WorkCalendar::from_files(files)
    }

    /// A calendar made of these files; each year at most once.
    pub fn from_files(
        files: impl IntoIterator<Item = HolidayFile>,
    ) -> Result<WorkCalendar, CalendarError> {
        let mut cal = WorkCalendar::empty();
        for file in files {
            cal.add(file)?;
        }
        Ok(cal)
    }

    /// Adds one year's notice. Refuses a year already loaded and a date that another notice lists
    /// with the opposite flag; on refusal the calendar is unchanged.
    pub fn add(&mut self, file: HolidayFile) -> Result<(), CalendarError> {
        if self.years.contains(&file.year) {
            return Err(CalendarError::YearAlreadyLoaded { year: file.year });
        }
        for day in &file.days {
            if self
                .overrides
                .get(&day.date)
                .is_some_and(|off| *off != day.is_off_day)
            {
                return Err(CalendarError::ConflictingDay { date: day.date });
            }
        }
        for day in &file.days {
            self.overrides.insert(day.date, day.is_off_day);
        }
        self.years.insert(file.year);
        Ok(())
    }

    /// Whether the notice of `year` was loaded.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// The covered years, ascending.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    /// Whether `date` is a working day: a listed holiday is not, a listed adjusted working day
    /// (调休) is, otherwise Monday to Friday are and Saturday and Sunday are not. Refused for a
    /// date whose year is not covered.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        if !self.covers(date.year()) {
            return Err(CalendarError::NoCalendarForYear { year: date.year() });
        }
        Ok(match self.overrides.get(&date) {
            Some(is_off_day) => !is_off_day,
            None => !is_weekend(date),
        })
    }

    /// The first working day strictly after `date`.
    fn next_working_day_after(&self, date: NaiveDate) -> Result<NaiveDate, CalendarError> {
        let mut d = date;
        loop {
            d = d.succ_opt().ok_or(CalendarError::NoCalendarForYear {
                year: date.year() + 1,
            })?;
            if self.is_working_day(d)? {
                return Ok(d);
            }
        }
    }
}

/// How a deadline's amount is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineUnit {
    /// 工作日: only working days of the calendar count.
    WorkingDays,
    /// 日 (自然日): every day counts; a last day on a rest day moves on (art. 203).
    CalendarDays,
    /// 月: to the corresponding day (art. 202); a last day on a rest day moves on (art. 203).
    Months,
}

/// The last day of a period of `amount` `unit`s starting on `start` (Civil Code arts. 201–203).
///
/// - `WorkingDays`: the `amount`-th working day after `start` (the start day never counts, even
///   when it is itself a working day).
/// - `CalendarDays`: `start + amount` days; if that is a rest day, the next working day.
/// - `Months`: the corresponding day `amount` months later, or that month's last day when it has
///   no corresponding day; if that is a rest day, the next working day.
///
/// Refused when any day it must look at lies in a year the calendar does not cover — including
/// the last day of a calendar-day or month period, because art. 203 needs to know whether it is a
/// rest day.
pub fn due_date(
    cal: &WorkCalendar,
    start: NaiveDate,
    amount: u32,
    unit: DeadlineUnit,
) -> Result<NaiveDate, CalendarError> {
    if amount == 0 {
        return Err(CalendarError::ZeroAmount);
    }
    let out_of_range = CalendarError::OutOfRange {
        start,
        amount,
        unit,
    };
    match unit {
        DeadlineUnit::WorkingDays => {
            // Terminates: every covered year has working days, and the first uncovered year
            // reached is refused.
            let mut d = start;
            for _ in 0..amount {
                d = cal.next_working_day_after(d)?;
            }
            Ok(d)
        }
        DeadlineUnit::CalendarDays => {
            let last = start
                .checked_add_days(chrono::Days::new(u64::from(amount)))
                .ok_or(out_of_range)?;
            roll_past_rest_day(cal, last)
        }
        DeadlineUnit::Months => {
            // chrono clamps to the month's last day when the day does not exist: art. 202.
            let last = start
                .checked_add_months(Months::new(amount))
                .ok_or(out_of_range)?;
            roll_past_rest_day(cal, last)
        }
    }
}

/// Art. 203: a period whose last day is a rest day ends on the next working day.
fn roll_past_rest_day(cal: &WorkCalendar, last: NaiveDate) -> Result<NaiveDate, CalendarError> {
    if cal.is_working_day(last)? {
        Ok(last)
    } else {
        cal.next_working_day_after(last)
    }
}

/// The same month-day `years` later, 29 February becoming 28 February (DOMAIN.md §6: a ban, a
/// look-back or a validity ends on its calendar date, not moved by art. 203).
pub fn add_years_clamped(from: NaiveDate, years: u32) -> Option<NaiveDate> {
    from.checked_add_months(Months::new(12 * years))
}

/// Whether a period whose last day is `due` is over on `today`. A period ends at 24:00 of its last
/// day, so it has elapsed only from the day after.
pub fn has_elapsed(due: NaiveDate, today: NaiveDate) -> bool {
    today > due
}

/// The number of working days `d` with `start < d ≤ end` (0 when `end ≤ start`): the counterpart of
/// [`due_date`] with [`DeadlineUnit::WorkingDays`], so `working_days_between(s, due_date(s, n)) == n`.
pub fn working_days_between(
    cal: &WorkCalendar,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<u32, CalendarError> {
    let mut count = 0u32;
    let mut d = start;
    while d < end {
        d = d
            .succ_opt()
            .ok_or(CalendarError::NoCalendarForYear { year: d.year() + 1 })?;
        if cal.is_working_day(d)? {
            count += 1;
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeadlineUnit::*;
    use proptest::prelude::*;

    fn cal() -> WorkCalendar {
        WorkCalendar::builtin().expect("the shipped calendars parse")
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// (start, amount, unit, expected last day), each worked by hand from the JSON files.
    fn check(cases: &[(&str, u32, DeadlineUnit, &str)]) {
        let cal = cal();
        for (start, amount, unit, expected) in cases {
            assert_eq!(
                due_date(&cal, d(start), *amount, *unit),
                Ok(d(expected)),
                "{amount} {unit:?} from {start}"
            );
        }
    }

    #[test]
    fn builtin_years_are_2023_to_2026_and_each_file_names_its_year() {
        let cal = cal();
        assert_eq!(
            cal.years().collect::<Vec<_>>(),
            vec![2023, 2024, 2025, 2026]
        );
        for (year, json) in BUILTIN_YEARS {
            let file = HolidayFile::parse(json).unwrap();
            assert_eq!(file.year(), *year);
            assert!(
                file.papers()[0].contains("www.gov.cn/zhengce/"),
                "{year}: {:?}",
                file.papers()
            );
        }
    }

    #[test]
    fn section_6_weekdays_weekends_holidays_and_tiaoxiu() {
        let cal = cal();
        // 2026-10-01 Thursday, 国庆节: holiday on a weekday.
        assert_eq!(cal.is_working_day(d("2026-10-01")), Ok(false));
        // 2026-10-10 Saturday: adjusted working day (国庆节, isOffDay=false).
        assert_eq!(cal.is_working_day(d("2026-10-10")), Ok(true));
        // 2026-10-11 Sunday, not listed: rest.
        assert_eq!(cal.is_working_day(d("2026-10-11")), Ok(false));
        // 2026-10-12 Monday, not listed: working.
        assert_eq!(cal.is_working_day(d("2026-10-12")), Ok(true));
        // 2026-01-04 Sunday: adjusted working day after 元旦.
        assert_eq!(cal.is_working_day(d("2026-01-04")), Ok(true));
    }

    #[test]
    fn section_6_december_date_from_next_years_notice_is_merged() {
        // The 2023 notice makes Saturday 2022-12-31 part of 元旦; 2022 has no file, so the day is
        // known but its year is not covered: still refused.
        let cal = cal();
        assert_eq!(
            cal.is_working_day(d("2022-12-31")),
            Err(CalendarError::NoCalendarForYear { year: 2022 })
        );
        // With a 2022 file that lists nothing in December, the 2023 notice decides 2022-12-31.
        let y2022 = HolidayFile::parse(
            r#"{"year": 2022, "papers": [], "days": [{"name": "国庆节", "date": "2022-10-03", "isOffDay": true}]}"#,
        )
        .unwrap();
        let mut files: Vec<HolidayFile> = BUILTIN_YEARS
            .iter()
            .map(|(_, j)| HolidayFile::parse(j).unwrap())
            .collect();
        files.push(y2022);
        let cal = WorkCalendar::from_files(files).unwrap();
        assert_eq!(cal.is_working_day(d("2022-12-31")), Ok(false));
        assert_eq!(cal.is_working_day(d("2022-12-30")), Ok(true)); // a Friday
    }

    /// HS-A7.3: 5 working days of publicity from Tuesday 2026-09-29. From 2026.json: 09-30 Wed
    /// (1); 10-01..10-07 国庆节 off; 10-08 Thu (2); 10-09 Fri (3); 10-10 Sat, isOffDay=false (4);
    /// 10-11 Sun rest; 10-12 Mon (5). Without the 调休 Saturday it would end on 10-13.
    #[test]
    fn hs_a7_3_publicity_counts_working_days_across_national_day_with_tiaoxiu() {
        check(&[("2026-09-29", 5, WorkingDays, "2026-10-12")]);
        // From Friday 09-18: 09-20 Sun is an adjusted working day (1), 09-21..24 Mon–Thu (2–5);
        // 09-25 中秋节 is not reached.
        check(&[("2026-09-18", 5, WorkingDays, "2026-09-24")]);
        let cal = cal();
        assert_eq!(
            working_days_between(&cal, d("2026-09-29"), d("2026-10-12")),
            Ok(5)
        );
        assert_eq!(
            working_days_between(&cal, d("2026-09-29"), d("2026-10-11")),
            Ok(4)
        );
    }

    /// HS-A7.3 across 春节 2026: from Thursday 02-12: 02-13 Fri (1); 02-14 Sat, isOffDay=false
    /// (2); 02-15..02-23 off; 02-24 Tue (3); 02-25 (4); 02-26 (5).
    #[test]
    fn hs_a7_3_publicity_counts_working_days_across_spring_festival() {
        check(&[("2026-02-12", 5, WorkingDays, "2026-02-26")]);
        // 10 working days: 02-27 Fri (6), 02-28 Sat isOffDay=false (7), 03-02..03-04 (8–10).
        check(&[("2026-02-12", 10, WorkingDays, "2026-03-04")]);
    }

    /// HS-A7.3 across 元旦 2026 and the year boundary: from Monday 2025-12-29: 12-30 (1), 12-31 (2);
    /// 2026-01-01..01-03 off; 01-04 Sun, isOffDay=false (3); 01-05 Mon (4); 01-06 Tue (5).
    #[test]
    fn hs_a7_3_publicity_counts_working_days_across_new_year_2025_to_2026() {
        check(&[("2025-12-29", 5, WorkingDays, "2026-01-06")]);
    }

    /// HS-A9: one month's notice from 2026-01-31 ends on the corresponding day of February, which
    /// has none: its last day, 2026-02-28 (art. 202). That is a Saturday but an adjusted working
    /// day of 春节 (isOffDay=false), so art. 203 does not move it.
    #[test]
    fn hs_a9_withdrawal_notice_one_month_end_of_month() {
        check(&[
            ("2026-01-31", 1, Months, "2026-02-28"),
            // Leap year: 2024-01-31 + 1 month = 2024-02-29, a Thursday.
            ("2024-01-31", 1, Months, "2024-02-29"),
            // A corresponding day exists: 2026-03-16 Mon + 1 month = 2026-04-16 Thu.
            ("2026-03-16", 1, Months, "2026-04-16"),
        ]);
    }

    /// Civil Code art. 203: a last day on a rest day moves to the next working day.
    #[test]
    fn civil_code_203_period_ending_on_rest_day_moves_to_next_working_day() {
        check(&[
            // 2026-08-03 + 2 months = 2026-10-03, 国庆节: next working day 10-08.
            ("2026-08-03", 2, Months, "2026-10-08"),
            // 2026-09-24 + 7 days = 10-01, 国庆节: 10-08.
            ("2026-09-24", 7, CalendarDays, "2026-10-08"),
            // 2026-10-03 + 7 days = 10-10, a Saturday made a working day: stays.
            ("2026-10-03", 7, CalendarDays, "2026-10-10"),
            // 2026-03-02 + 5 days = 03-07, an ordinary Saturday: Monday 03-09.
            ("2026-03-02", 5, CalendarDays, "2026-03-09"),
            // 2026-03-02 + 4 days = 03-06, a Friday: stays.
            ("2026-03-02", 4, CalendarDays, "2026-03-06"),
        ]);
    }

    #[test]
    fn civil_code_201_start_day_is_not_counted_even_when_working() {
        // Monday 2026-03-02 is a working day; 1 working day later is Tuesday 03-03.
        check(&[
            ("2026-03-02", 1, WorkingDays, "2026-03-03"),
            ("2026-03-06", 1, WorkingDays, "2026-03-09"),
        ]);
    }

    #[test]
    fn section_6_no_calendar_for_2027_is_refused() {
        let cal = cal();
        let no_2027 = || CalendarError::NoCalendarForYear { year: 2027 };
        assert_eq!(cal.is_working_day(d("2027-01-04")), Err(no_2027()));
        // Monday 2026-12-28 + 5 working days: 12-29, 12-30, 12-31, then 2027.
        assert_eq!(
            due_date(&cal, d("2026-12-28"), 5, WorkingDays),
            Err(no_2027())
        );
        assert_eq!(
            due_date(&cal, d("2026-12-28"), 3, WorkingDays),
            Ok(d("2026-12-31"))
        );
        assert_eq!(
            due_date(&cal, d("2026-12-28"), 7, CalendarDays),
            Err(no_2027())
        );
        assert_eq!(due_date(&cal, d("2026-12-15"), 1, Months), Err(no_2027()));
        assert_eq!(
            working_days_between(&cal, d("2026-12-28"), d("2027-01-05")),
            Err(no_2027())
        );
        // A start day in an uncovered year is fine when every counted day is covered: the start
        // day itself is never looked at. From 2022-12-31: 2023-01-01 and 01-02 are 元旦, 01-03 Tue.
        assert_eq!(
            due_date(&cal, d("2022-12-31"), 1, WorkingDays),
            Ok(d("2023-01-03"))
        );
        // From 2022-12-30 the first day to look at, 2022-12-31, is in uncovered 2022.
        assert_eq!(
            due_date(&cal, d("2022-12-30"), 1, WorkingDays),
            Err(CalendarError::NoCalendarForYear { year: 2022 })
        );
        let err = cal.is_working_day(d("2027-01-04")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no working-day calendar for year 2027: import the State Council holiday notice for 2027 first"
        );
    }

    #[test]
    fn zero_amount_is_refused() {
        assert_eq!(
            due_date(&cal(), d("2026-03-02"), 0, WorkingDays),
            Err(CalendarError::ZeroAmount)
        );
    }

    #[test]
    fn has_elapsed_only_after_24_00_of_the_due_date() {
        assert!(!has_elapsed(d("2026-10-12"), d("2026-10-11")));
        assert!(!has_elapsed(d("2026-10-12"), d("2026-10-12")));
        assert!(has_elapsed(d("2026-10-12"), d("2026-10-13")));
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        let bad = |json: &str| match HolidayFile::parse(json) {
            Err(CalendarError::BadFile { reason }) => reason,
            other => panic!("expected a bad file, got {other:?}"),
        };
        assert!(bad("not json").contains("expected"));
        assert!(bad(r#"{"year": 1900, "papers": [], "days": []}"#).contains("outside"));
        assert!(bad(r#"{"year": 2027, "papers": [], "days": []}"#).contains("no days"));
        let day = |date: &str, off: bool| {
            format!(r#"{{"name": "x", "date": "{date}", "isOffDay": {off}}}"#)
        };
        let file = |days: &[String]| {
            format!(
                r#"{{"year": 2027, "papers": [], "days": [{}]}}"#,
                days.join(",")
            )
        };
        assert!(bad(&file(&[day("2027-02-30", true)])).contains("does not parse"));
        assert!(bad(&file(&[day("2028-01-01", true)])).contains("outside the year"));
        assert!(bad(&file(&[day("2026-11-30", true)])).contains("outside the year"));
        // 2027-01-04 is a Monday: it cannot be an *adjusted* working day.
        assert!(bad(&file(&[day("2027-01-04", false)])).contains("not a weekend"));
        // 2027-01-02 is a Saturday, listed both ways.
        assert!(bad(&file(&[day("2027-01-02", true), day("2027-01-02", false)])).contains("both"));
        // Listed twice the same way is harmless.
        let ok =
            HolidayFile::parse(&file(&[day("2027-01-01", true), day("2027-01-01", true)])).unwrap();
        assert_eq!(ok.days().len(), 1);
        // The December before the year is allowed.
        assert!(HolidayFile::parse(&file(&[day("2026-12-31", true)])).is_ok());
    }

    #[test]
    fn add_refuses_a_loaded_year_and_a_contradicting_december_day() {
        let mut cal = cal();
        let again = HolidayFile::parse(BUILTIN_YEARS[3].1).unwrap();
        assert_eq!(
            cal.add(again),
            Err(CalendarError::YearAlreadyLoaded { year: 2026 })
        );
        // A 2027 notice that calls 2026-10-10 (a 调休 Saturday) a holiday contradicts 2026's.
        let mut bad_2027 = HolidayFile::parse(
            r#"{"year": 2027, "papers": [], "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}]}"#,
        )
        .unwrap();
        bad_2027.days.push(HolidayDay {
            name: "x".into(),
            date: d("2026-10-10"),
            is_off_day: true,
        });
        assert_eq!(
            cal.add(bad_2027),
            Err(CalendarError::ConflictingDay {
                date: d("2026-10-10")
            })
        );
        assert!(
            !cal.covers(2027),
            "a refused file leaves the calendar unchanged"
        );
        assert_eq!(cal.is_working_day(d("2026-10-10")), Ok(true));
        // A good 2027 file makes 2027 countable.
        let y2027 = HolidayFile::parse(
            r#"{"year": 2027, "papers": [], "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}]}"#,
        )
        .unwrap();
        cal.add(y2027).unwrap();
        // 2026-12-28 Mon + 5 working days: 12-29, 12-30, 12-31, 2027-01-01 off, 01-02/03 weekend,
        // 01-04 Mon (4), 01-05 Tue (5).
        assert_eq!(
            due_date(&cal, d("2026-12-28"), 5, WorkingDays),
            Ok(d("2027-01-05"))
        );
    }

    #[test]
    fn deadline_unit_is_snake_case_in_json() {
        assert_eq!(
            serde_json::to_string(&WorkingDays).unwrap(),
            r#""working_days""#
        );
        assert_eq!(
            serde_json::from_str::<DeadlineUnit>(r#""calendar_days""#).unwrap(),
            CalendarDays
        );
        assert_eq!(
            serde_json::from_str::<DeadlineUnit>(r#""months""#).unwrap(),
            Months
        );
    }

    proptest! {
        /// The due date of n working days is a working day, and exactly n working days lie in
        /// (start, due] — counted here day by day with `is_working_day`, not with
        /// `working_days_between`.
        #[test]
        fn working_day_due_date_is_the_nth_working_day(offset in 0u32..(4 * 365), n in 1u32..=40) {
            let cal = cal();
            let start = d("2023-01-01") + chrono::Days::new(u64::from(offset));
            match due_date(&cal, start, n, WorkingDays) {
                Err(CalendarError::NoCalendarForYear { year }) => prop_assert_eq!(year, 2027),
                Err(other) => prop_assert!(false, "unexpected error {other:?}"),
                Ok(due) => {
                    prop_assert!(cal.is_working_day(due).unwrap());
                    let mut count = 0;
                    let mut day = start.succ_opt().unwrap();
                    while day <= due {
                        if cal.is_working_day(day).unwrap() { count += 1; }
                        day = day.succ_opt().unwrap();
                    }
                    prop_assert_eq!(count, n);
                    prop_assert_eq!(working_days_between(&cal, start, due).unwrap(), n);
                }
            }
        }

        /// A calendar-day or month period never ends on a rest day and never before its plain end.
        #[test]
        fn calendar_and_month_periods_end_on_a_working_day(offset in 0u32..(4 * 365), n in 1u32..=40, months in any::<bool>()) {
            let cal = cal();
            let start = d("2023-01-01") + chrono::Days::new(u64::from(offset));
            let (unit, plain) = if months {
                (Months, start.checked_add_months(chrono::Months::new(n)).unwrap())
            } else {
                (CalendarDays, start + chrono::Days::new(u64::from(n)))
            };
            match due_date(&cal, start, n, unit) {
                Err(CalendarError::NoCalendarForYear { year }) => prop_assert!(year >= 2027),
                Err(other) => prop_assert!(false, "unexpected error {other:?}"),
                Ok(due) => {
                    prop_assert!(cal.is_working_day(due).unwrap());
                    prop_assert!(due >= plain);
                    // Every day from the plain end up to the due date, exclusive, is a rest day.
                    let mut day = plain;
                    while day < due {
                        prop_assert!(!cal.is_working_day(day).unwrap());
                        day = day.succ_opt().unwrap();
                    }
                }
            }
        }
    }
}
