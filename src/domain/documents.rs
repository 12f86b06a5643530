//! The data store's rules (kho dữ liệu; Quảng Ngãi 34/2023 Art. 10): which
//! stored documents may stand in for a dossier component.

use chrono::NaiveDate;

use super::text::fold;
use super::Problem;

labelled_enum! {
    /// Where a stored document came from.
    pub enum DocumentSource {
        Upload => ("UPLOAD", "Tự tải lên", "Uploaded"),
        Result => ("RESULT", "Kết quả giải quyết hồ sơ", "Result of a dossier"),
    }
}

labelled_enum! {
    /// What a dossier's file is.
    pub enum AttachmentKind {
        Component => ("COMPONENT", "Thành phần hồ sơ", "Dossier component"),
        Result => ("RESULT", "Kết quả giải quyết", "Result"),
    }
}

/// Dates a document states: not issued in the future, and not valid until
/// before it was issued.
pub fn check_dates(
    issued_on: Option<NaiveDate>,
    valid_until: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(), (&'static str, Problem)> {
    if issued_on.is_some_and(|d| d > today) {
        return Err((
            "issuedOn",
            Problem::Invalid {
                vi: "Ngày cấp không được ở tương lai".into(),
                en: "The issue date cannot be in the future".into(),
            },
        ));
    }
    if let (Some(i), Some(v)) = (issued_on, valid_until) {
        if v < i {
            return Err((
                "validUntil",
                Problem::Invalid {
                    vi: "Ngày hết hiệu lực phải sau ngày cấp".into(),
                    en: "The expiry date must be after the issue date".into(),
                },
            ));
        }
    }
    // A document already expired cannot satisfy anything: refused at
    // upload, not stored to fail later.
    check_valid(valid_until, today).map_err(|p| ("validUntil", p))
}

/// A stored document still valid today (valid through its last day).
pub fn check_valid(valid_until: Option<NaiveDate>, today: NaiveDate) -> Result<(), Problem> {
    match valid_until {
        Some(last) if last < today => Err(Problem::Invalid {
            vi: format!(
                "Giấy tờ đã hết hiệu lực từ ngày {}",
                (last + chrono::Days::new(1)).format("%d/%m/%Y")
            ),
            en: format!("The document expired on {}", last.format("%Y-%m-%d")),
        }),
        _ => Ok(()),
    }
}

/// Whether a document of this type fits a component that names the type it
/// accepts (case and diacritics aside); a component naming none takes any.
pub fn fits(component_type: Option<&str>, doc_type: &str) -> bool {
    component_type.is_none_or(|t| fold(t) == fold(doc_type))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn a_document_is_valid_through_its_last_day() {
        let today = day(2026, 11, 30);
        assert!(check_valid(None, today).is_ok());
        assert!(check_valid(Some(day(2026, 11, 30)), today).is_ok());
        let e = check_valid(Some(day(2026, 11, 29)), today).unwrap_err();
        assert_eq!(e.vi(), "Giấy tờ đã hết hiệu lực từ ngày 30/11/2026");
    }

    #[test]
    fn dates_must_make_sense() {
        let today = day(2026, 11, 30);
        assert!(check_dates(Some(day(2020, 1, 1)), Some(day(2030, 1, 1)), today).is_ok());
        assert_eq!(
            check_dates(Some(day(2026, 12, 1)), None, today)
                .unwrap_err()
                .0,
            "issuedOn"
        );
        assert_eq!(
            check_dates(Some(day(2020, 1, 2)), Some(day(2020, 1, 1)), today)
                .unwrap_err()
                .0,
            "validUntil"
        );
        // Already expired when stored: refused, naming the day it ended.
        let (field, p) = check_dates(None, Some(day(2026, 11, 29)), today).unwrap_err();
        assert_eq!(
            (field, p.en()),
            (
                "validUntil",
                "The document expired on 2026-11-29".to_owned()
            )
        );
    }

    #[test]
    fn components_take_documents_of_their_type() {
        assert!(fits(None, "Giấy khai sinh"));
        assert!(fits(Some("Giấy khai sinh"), "giấy khai sinh"));
        assert!(fits(Some("Giay khai sinh"), "Giấy khai sinh"));
        assert!(!fits(Some("Căn cước công dân"), "Giấy khai sinh"));
    }
}
