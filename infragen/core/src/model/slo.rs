//! Service level objectives and the alarms they become: the multi-window,
//! multi-burn-rate pairs of the Google SRE workbook ("Alerting on SLOs"),
//! and the CloudWatch limits every alarm shape must fit.
//!
//! A burn rate is how fast the error budget is spent: 1× spends exactly the
//! budget over the SLO window, 14.4× spends 2 % of a 30-day budget in one
//! hour. Each pair alarms only when a long window (is the burn significant?)
//! and a short one (is it still happening?) both exceed the same factor.
use serde::Serialize;

/// What an SLO measures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Sli {
    /// Requests not answered 5xx.
    Availability,
    /// Requests answered within `threshold_ms`.
    Latency { threshold_ms: u32 },
}

impl Sli {
    /// `availability` or `latency`: part of alarm names and keys.
    pub fn name(&self) -> &'static str {
        match self {
            Sli::Availability => "availability",
            Sli::Latency { .. } => "latency",
        }
    }
}

/// Who is told when a pair fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Someone acts now: the budget goes in hours to days.
    Page,
    /// Someone acts this week: the budget goes in days.
    Ticket,
}

impl Severity {
    pub fn name(&self) -> &'static str {
        match self {
            Severity::Page => "page",
            Severity::Ticket => "ticket",
        }
    }
}

/// One pair of the workbook's table: both windows above `factor` × budget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BurnPair {
    pub severity: Severity,
    /// Long window, minutes.
    pub long_minutes: u32,
    /// Short window, minutes (1/12 of the long one).
    pub short_minutes: u32,
    /// Burn-rate factor.
    pub factor: f64,
}

/// The workbook's recommended pairs for a 28–30 day SLO: page on 2 % of the
/// budget in 1 h or 5 % in 6 h; ticket on 10 % in 1 day or in 3 days.
pub const BURN_PAIRS: [BurnPair; 4] = [
    BurnPair {
        severity: Severity::Page,
        long_minutes: 60,
        short_minutes: 5,
        factor: 14.4,
    },
    BurnPair {
        severity: Severity::Page,
        long_minutes: 360,
        short_minutes: 30,
        factor: 6.0,
    },
    BurnPair {
        severity: Severity::Ticket,
        long_minutes: 1440,
        short_minutes: 120,
        factor: 3.0,
    },
    BurnPair {
        severity: Severity::Ticket,
        long_minutes: 4320,
        short_minutes: 360,
        factor: 1.0,
    },
];

/// The largest factor of [`BURN_PAIRS`]: a budget above `1 / FASTEST` (an
/// objective under 93.06 %) could never trip the fast page.
pub const FASTEST_BURN: f64 = 14.4;

/// How CloudWatch evaluates one metric alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AlarmShape {
    /// Seconds, a multiple of 60.
    pub period: u32,
    pub evaluation_periods: u32,
    pub datapoints_to_alarm: u32,
}

impl AlarmShape {
    /// A window as alarms evaluate it: one datapoint spanning the window
    /// (the sliding evaluation window moves every minute), or, past one
    /// day, whole days that must all breach.
    pub fn for_window(minutes: u32) -> AlarmShape {
        if minutes <= 1440 {
            AlarmShape {
                period: minutes * 60,
                evaluation_periods: 1,
                datapoints_to_alarm: 1,
            }
        } else {
            let days = minutes.div_ceil(1440);
            AlarmShape {
                period: 86_400,
                evaluation_periods: days,
                datapoints_to_alarm: days,
            }
        }
    }

    /// What breaks CloudWatch's PutMetricAlarm limits, if anything: a period
    /// a multiple of 60 s and at most one day; period × evaluation periods
    /// at most one day for periods under an hour, else at most seven days;
    /// 1 ≤ datapoints to alarm ≤ evaluation periods.
    pub fn limit_problem(&self) -> Option<String> {
        let range = u64::from(self.period) * u64::from(self.evaluation_periods);
        let cap: u64 = if self.period < 3600 { 86_400 } else { 604_800 };
        if self.period == 0 || !self.period.is_multiple_of(60) || self.period > 86_400 {
            Some(format!(
                "a period of {} s is not a whole number of minutes up to one day",
                self.period
            ))
        } else if self.evaluation_periods == 0 || range > cap {
            Some(format!(
                "{} periods of {} s evaluate {range} s, over CloudWatch's {} limit for this period",
                self.evaluation_periods,
                self.period,
                if cap == 86_400 {
                    "one-day"
                } else {
                    "seven-day"
                }
            ))
        } else if self.datapoints_to_alarm == 0
            || self.datapoints_to_alarm > self.evaluation_periods
        {
            Some(format!(
                "{} datapoints to alarm is not between 1 and the {} evaluation periods",
                self.datapoints_to_alarm, self.evaluation_periods
            ))
        } else {
            None
        }
    }
}

/// One window of one pair: a metric-math alarm on the error ratio.
#[derive(Debug, Clone, Serialize)]
pub struct BurnAlarm {
    /// `<prefix>-<service>-slo-<sli>-<severity>-<window>` (a window is
    /// used once per severity).
    pub name: String,
    pub severity: Severity,
    /// e.g. `5m`, `1h`, `3d`.
    pub window: String,
    pub window_minutes: u32,
    pub factor: f64,
    /// Error ratio above which it breaches: `factor × budget`.
    pub threshold: f64,
    pub shape: AlarmShape,
}

/// The composite alarm of one severity: `(long AND short) OR (long AND short)`.
#[derive(Debug, Clone, Serialize)]
pub struct BurnComposite {
    /// `<prefix>-<service>-slo-<sli>-<severity>`.
    pub name: String,
    pub severity: Severity,
    /// `[long, short]` alarm names of each pair.
    pub pairs: Vec<[String; 2]>,
}

/// A validated service level objective.
#[derive(Debug, Clone, Serialize)]
pub struct Slo {
    /// Name of a load-balanced [`super::Service`] (checked).
    pub service: String,
    pub sli: Sli,
    /// Percent, e.g. 99.9.
    pub objective: f64,
    pub window_days: u32,
    /// Requests a window must hold before it is judged.
    pub min_requests: u32,
    /// Every window of every pair, in [`BURN_PAIRS`] order (long, short).
    pub alarms: Vec<BurnAlarm>,
    /// The page, then the ticket.
    pub composites: Vec<BurnComposite>,
    /// Name of the alarm that gates the service's deployments: the short
    /// window of the fastest pair (see [`Slo::deployment_gate`]).
    pub deployment_gate: String,
}

impl Slo {
    /// The error budget as a ratio: 0.001 for 99.9 %.
    pub fn budget(&self) -> f64 {
        budget(self.objective)
    }

    /// `<service>-<sli>`: the key of its resources.
    pub fn key(&self) -> String {
        format!("{}-{}", self.service, self.sli.name())
    }
}

/// The error budget of an objective (percent), as a ratio.
pub fn budget(objective: f64) -> f64 {
    ((100.0 - objective) / 100.0 * 1e6).round() / 1e6
}

/// `5m`, `1h`, `3d`: a window's name.
pub fn window_name(minutes: u32) -> String {
    if minutes.is_multiple_of(1440) {
        format!("{}d", minutes / 1440)
    } else if minutes.is_multiple_of(60) {
        format!("{}h", minutes / 60)
    } else {
        format!("{minutes}m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_window_fits_cloudwatch() {
        for pair in BURN_PAIRS {
            for minutes in [pair.long_minutes, pair.short_minutes] {
                let shape = AlarmShape::for_window(minutes);
                assert_eq!(shape.limit_problem(), None, "{minutes} min");
                assert_eq!(
                    u64::from(shape.period) * u64::from(shape.evaluation_periods),
                    u64::from(minutes) * 60
                );
            }
            assert_eq!(pair.long_minutes, 12 * pair.short_minutes);
        }
        assert_eq!(
            AlarmShape::for_window(4320),
            AlarmShape {
                period: 86_400,
                evaluation_periods: 3,
                datapoints_to_alarm: 3
            }
        );
    }

    #[test]
    fn limits_are_cloudwatch_s() {
        let shape = |period, evaluation_periods, datapoints_to_alarm| AlarmShape {
            period,
            evaluation_periods,
            datapoints_to_alarm,
        };
        assert!(shape(300, 288, 1).limit_problem().is_none());
        assert!(
            shape(300, 289, 1)
                .limit_problem()
                .unwrap()
                .contains("one-day")
        );
        assert!(shape(3600, 168, 1).limit_problem().is_none());
        assert!(
            shape(3600, 169, 1)
                .limit_problem()
                .unwrap()
                .contains("seven-day")
        );
        assert!(shape(90, 1, 1).limit_problem().is_some());
        assert!(shape(172_800, 1, 1).limit_problem().is_some());
        assert!(
            shape(300, 3, 4)
                .limit_problem()
                .unwrap()
                .contains("datapoints")
        );
        assert!(shape(300, 3, 0).limit_problem().is_some());
    }

    #[test]
    fn budgets_and_names() {
        assert_eq!(budget(99.9), 0.001);
        assert_eq!(budget(99.95), 0.0005);
        assert_eq!(window_name(5), "5m");
        assert_eq!(window_name(360), "6h");
        assert_eq!(window_name(4320), "3d");
        // 14.4× over 1 h of a 30-day window spends 2 % of the budget.
        assert!((14.4 * 60.0 / (30.0 * 1440.0) - 0.02_f64).abs() < 1e-9);
    }
}
