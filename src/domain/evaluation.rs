//! The automatic evaluation of agencies (Quảng Ngãi 34/2023 Art. 11),
//! structured as the national index of service to citizens and businesses
//! (Decision 766/QĐ-TTg, 2022): six indicator groups with configurable
//! weights, each split into indicators scored from a ratio with a
//! full-score threshold and linearly below it.
//!
//! An indicator the data cannot support is reported as not computable with
//! its reason, and left out of both the score and the points available, so
//! agencies are ranked on the share of the available points they earned.

use super::problem::Problem;

labelled_enum! {
    /// Nhóm chỉ số (Quyết định 766/QĐ-TTg).
    pub enum IndicatorGroup {
        Transparency => ("TRANSPARENCY", "Công khai, minh bạch", "Transparency"),
        Progress => ("PROGRESS", "Tiến độ giải quyết", "Processing progress"),
        OnlineService => ("ONLINE_SERVICE", "Dịch vụ công trực tuyến", "Online services"),
        OnlinePayment => ("ONLINE_PAYMENT", "Thanh toán trực tuyến", "Online payment"),
        Digitisation => ("DIGITISATION", "Số hóa hồ sơ", "Digitisation"),
        Satisfaction => ("SATISFACTION", "Mức độ hài lòng", "Satisfaction"),
    }
}

labelled_enum! {
    /// Chỉ số đánh giá.
    pub enum Indicator {
        PublishedRecords => ("PUBLISHED_RECORDS", "Thủ tục công khai đầy đủ thông tin", "Procedures published with complete records"),
        NationalPortalSync => ("NATIONAL_PORTAL_SYNC", "Đồng bộ hồ sơ lên Cổng Dịch vụ công quốc gia", "Dossiers synchronised with the national portal"),
        OnTimeSettlement => ("ON_TIME_SETTLEMENT", "Hồ sơ giải quyết đúng hạn", "Dossiers settled on time"),
        ReceptionWithin8Hours => ("RECEPTION_WITHIN_8_HOURS", "Hồ sơ được tiếp nhận trong 08 giờ làm việc", "Dossiers received within 8 working hours"),
        OnlineProcedures => ("ONLINE_PROCEDURES", "Thủ tục cung cấp dịch vụ công trực tuyến", "Procedures offered online"),
        OnlineSubmissions => ("ONLINE_SUBMISSIONS", "Hồ sơ nộp trực tuyến", "Dossiers submitted online"),
        OnlinePayments => ("ONLINE_PAYMENTS", "Hồ sơ thanh toán trực tuyến", "Fees paid online"),
        DigitisedDossiers => ("DIGITISED_DOSSIERS", "Hồ sơ được số hóa thành phần", "Dossiers with digitised components"),
        DigitisedResults => ("DIGITISED_RESULTS", "Kết quả giải quyết được số hóa", "Digitised results"),
        DataReuse => ("DATA_REUSE", "Tái sử dụng dữ liệu số hóa", "Reuse of digitised data"),
        SatisfiedRatings => ("SATISFIED_RATINGS", "Đánh giá hài lòng", "Satisfied ratings"),
        FeedbackOnTime => ("FEEDBACK_ON_TIME", "Phản ánh, kiến nghị được xử lý đúng hạn", "Feedback handled on time"),
    }
}

impl Indicator {
    /// Whether it judges dossiers (received, settled, returned, rated or
    /// paid in the period): an agency with none is not scored on it and not
    /// ranked above agencies that were measured. The catalogue's indicators
    /// and feedback do not.
    pub fn judges_dossiers(self) -> bool {
        !matches!(
            self,
            Indicator::PublishedRecords
                | Indicator::OnlineProcedures
                | Indicator::NationalPortalSync
                | Indicator::FeedbackOnTime
        )
    }
}

/// How an indicator is scored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spec {
    pub indicator: Indicator,
    pub group: IndicatorGroup,
    /// Its share of the group's weight.
    pub share: f64,
    /// The ratio at and above which it scores full.
    pub full_at: f64,
}

const fn spec(indicator: Indicator, group: IndicatorGroup, share: f64, full_at: f64) -> Spec {
    Spec {
        indicator,
        group,
        share,
        full_at,
    }
}

/// Every indicator; the shares of each group add up to 1.
pub const SPECS: [Spec; 12] = {
    use Indicator as I;
    use IndicatorGroup as G;
    [
        spec(I::PublishedRecords, G::Transparency, 0.5, 1.0),
        spec(I::NationalPortalSync, G::Transparency, 0.5, 1.0),
        spec(I::OnTimeSettlement, G::Progress, 0.6, 1.0),
        spec(I::ReceptionWithin8Hours, G::Progress, 0.4, 1.0),
        spec(I::OnlineProcedures, G::OnlineService, 0.5, 0.8),
        spec(I::OnlineSubmissions, G::OnlineService, 0.5, 0.5),
        spec(I::OnlinePayments, G::OnlinePayment, 1.0, 0.8),
        spec(I::DigitisedDossiers, G::Digitisation, 0.4, 0.8),
        spec(I::DigitisedResults, G::Digitisation, 0.3, 0.8),
        spec(I::DataReuse, G::Digitisation, 0.3, 0.8),
        spec(I::SatisfiedRatings, G::Satisfaction, 0.6, 0.9),
        spec(I::FeedbackOnTime, G::Satisfaction, 0.4, 1.0),
    ]
};

/// Points of 100 per group, in `IndicatorGroup::ALL` order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights(pub [f64; 6]);

impl Default for Weights {
    /// Decision 766's: 18 / 20 / 12 / 10 / 22 / 18.
    fn default() -> Self {
        Weights([18.0, 20.0, 12.0, 10.0, 22.0, 18.0])
    }
}

impl Weights {
    /// Six non-negative numbers separated by commas, e.g. `18,20,12,10,22,18`.
    pub fn parse(s: &str) -> Result<Self, Problem> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        if parts.len() != 6 {
            return Err(Problem::UnknownValue);
        }
        let mut w = [0.0; 6];
        for (slot, p) in w.iter_mut().zip(parts) {
            *slot = p
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or(Problem::UnknownValue)?;
        }
        if w.iter().sum::<f64>() <= 0.0 {
            return Err(Problem::UnknownValue);
        }
        Ok(Weights(w))
    }

    pub fn of(&self, group: IndicatorGroup) -> f64 {
        let i = IndicatorGroup::ALL
            .iter()
            .position(|g| *g == group)
            .unwrap_or(0);
        self.0[i]
    }
}

/// An indicator's inputs as counted, or why it cannot be computed.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Counted { numerator: i64, denominator: i64 },
    NotComputable { vi: String, en: String },
}

/// One indicator's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub spec: Spec,
    /// The points it is worth (group weight × share).
    pub max_points: f64,
    /// numerator / denominator, when computable.
    pub ratio: Option<f64>,
    /// The points earned, when computable.
    pub points: Option<f64>,
    pub input: Input,
}

/// Scores an indicator: full points at `full_at` or above, linear below.
/// A zero denominator makes it not computable (nothing to judge by).
pub fn score(spec: Spec, weights: &Weights, input: Input, nothing: (&str, &str)) -> Scored {
    let max_points = weights.of(spec.group) * spec.share;
    let input = match input {
        Input::Counted { denominator: 0, .. } => Input::NotComputable {
            vi: nothing.0.to_owned(),
            en: nothing.1.to_owned(),
        },
        other => other,
    };
    let (ratio, points) = match &input {
        Input::Counted {
            numerator,
            denominator,
        } => {
            let r = *numerator as f64 / *denominator as f64;
            let p = max_points * (r / spec.full_at).min(1.0);
            (Some(r), Some(round2(p)))
        }
        Input::NotComputable { .. } => (None, None),
    };
    Scored {
        spec,
        max_points: round2(max_points),
        ratio,
        points,
        input,
    }
}

/// The total, the points available (of computable indicators) and the
/// share of them earned, in percent.
pub fn total(scored: &[Scored]) -> (f64, f64, Option<f64>) {
    let earned: f64 = scored.iter().filter_map(|s| s.points).sum();
    let available: f64 = scored
        .iter()
        .filter(|s| s.points.is_some())
        .map(|s| s.max_points)
        .sum();
    let percent = (available > 0.0).then(|| round2(100.0 * earned / available));
    (round2(earned), round2(available), percent)
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_of_every_group_add_up_to_one() {
        for g in IndicatorGroup::ALL {
            let sum: f64 = SPECS
                .iter()
                .filter(|s| s.group == *g)
                .map(|s| s.share)
                .sum();
            assert!((sum - 1.0).abs() < 1e-9, "{g}: {sum}");
        }
        assert_eq!(Weights::default().0.iter().sum::<f64>(), 100.0);
    }

    #[test]
    fn weights_parse_six_non_negative_numbers() {
        assert_eq!(
            Weights::parse("18, 20,12,10,22,18").unwrap(),
            Weights::default()
        );
        assert!(Weights::parse("18,20,12,10,22").is_err());
        assert!(Weights::parse("18,20,12,10,22,-1").is_err());
        assert!(Weights::parse("0,0,0,0,0,0").is_err());
        assert!(Weights::parse("a,20,12,10,22,18").is_err());
    }

    #[test]
    fn full_score_at_the_threshold_linear_below() {
        let w = Weights::default();
        // Online submissions: 12 × 0.5 = 6 points, full at 50 %.
        let s = SPECS[5];
        assert_eq!(s.indicator, Indicator::OnlineSubmissions);
        let at = |n, d| {
            score(
                s,
                &w,
                Input::Counted {
                    numerator: n,
                    denominator: d,
                },
                ("", ""),
            )
        };
        assert_eq!(at(5, 10).points, Some(6.0));
        assert_eq!(at(9, 10).points, Some(6.0));
        assert_eq!(at(1, 4).points, Some(3.0));
        assert_eq!(at(0, 4).points, Some(0.0));
        let none = at(0, 0);
        assert_eq!(none.points, None);
        assert!(matches!(none.input, Input::NotComputable { .. }));
    }

    #[test]
    fn totals_count_only_computable_indicators() {
        let w = Weights::default();
        let a = score(
            SPECS[2],
            &w,
            Input::Counted {
                numerator: 3,
                denominator: 4,
            },
            ("", ""),
        );
        // 20 × 0.6 = 12 points; 75 % of it.
        assert_eq!(a.points, Some(9.0));
        let b = score(
            SPECS[6],
            &w,
            Input::NotComputable {
                vi: "x".into(),
                en: "x".into(),
            },
            ("", ""),
        );
        assert_eq!(total(&[a, b]), (9.0, 12.0, Some(75.0)));
        assert_eq!(total(&[]), (0.0, 0.0, None));
    }
}
