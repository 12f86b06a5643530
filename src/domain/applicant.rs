//! The applicant as written on a dossier entered on their behalf (at the
//! counter or by post), cleaned before it is stored.

use super::catalogue::FieldProblem;
use super::identity::{applicant_id_number, one_line, optional_line, optional_text, Email, Phone};
use super::Problem;

/// The applicant's name, at most this many characters.
pub const NAME_MAX: usize = 200;
/// An ID number (12 digits) or tax code (10 or 13), at most this many.
pub const ID_NUMBER_MAX: usize = 16;
/// An address, at most this many characters.
pub const ADDRESS_MAX: usize = 500;

/// The applicant as written on the dossier.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applicant {
    pub name: String,
    /// A citizen ID number (checked against the current year) or a tax code.
    pub id_number: Option<String>,
    /// Normalised to 0XXXXXXXXX.
    pub phone: Option<String>,
    /// Lower-cased.
    pub email: Option<String>,
    pub address: Option<String>,
}

impl Applicant {
    /// Trims every value, drops blank optional ones, and checks the ID
    /// number, phone and e-mail. The error names the field
    /// (`applicant.idNumber`…).
    pub fn clean(&self, current_year: i32) -> Result<Applicant, FieldProblem> {
        let at = |f: &'static str| move |p: Problem| (format!("applicant.{f}"), p);
        let id_number = optional_text(self.id_number.as_deref(), ID_NUMBER_MAX)
            .and_then(|n| n.map(|n| applicant_id_number(&n, current_year)).transpose())
            .map_err(at("idNumber"))?;
        let phone = Phone::parse_optional(self.phone.as_deref())
            .map(|p| p.map(|p| p.as_str().to_owned()))
            .map_err(at("phone"))?;
        let email = Email::parse_optional(self.email.as_deref())
            .map(|e| e.map(|e| e.as_str().to_owned()))
            .map_err(at("email"))?;
        Ok(Applicant {
            name: one_line(&self.name, NAME_MAX).map_err(at("name"))?,
            id_number,
            phone,
            email,
            address: optional_line(self.address.as_deref(), ADDRESS_MAX).map_err(at("address"))?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applicant() -> Applicant {
        Applicant {
            name: "  Nguyễn Văn An ".into(),
            id_number: None,
            phone: Some(" ".into()),
            email: Some("".into()),
            address: Some(" 1 Lê Lợi ".into()),
        }
    }

    #[test]
    fn values_are_trimmed_and_blank_ones_dropped() {
        let mut a = applicant();
        a.id_number = None;
        let clean = a.clean(2026).unwrap();
        assert_eq!(clean.name, "Nguyễn Văn An");
        assert_eq!(clean.phone, None);
        assert_eq!(clean.email, None);
        assert_eq!(clean.address.as_deref(), Some("1 Lê Lợi"));
    }

    #[test]
    fn a_blank_name_is_refused_at_its_field() {
        let mut a = applicant();
        a.name = "   ".into();
        a.id_number = None;
        assert_eq!(
            a.clean(2026),
            Err(("applicant.name".into(), Problem::Required))
        );
    }

    #[test]
    fn a_name_and_an_address_are_one_line() {
        let mut a = applicant();
        a.id_number = None;
        for name in [
            "A\r\n=2+2",
            "Nguyễn\tVăn An",
            "An\u{7}",
            "An\u{2028}B",
            "\u{202E}nA",
        ] {
            a.name = name.into();
            assert_eq!(a.clean(2026).unwrap_err().0, "applicant.name", "{name:?}");
        }
        a.name = "Nguyễn Văn An".into();
        a.address = Some("1 Lê Lợi\r\n=2+2".into());
        assert_eq!(a.clean(2026).unwrap_err().0, "applicant.address");
    }

    #[test]
    fn a_bad_phone_or_email_is_refused_at_its_field() {
        let mut a = applicant();
        a.id_number = None;
        a.phone = Some("12ab".into());
        assert_eq!(a.clean(2026).unwrap_err().0, "applicant.phone");
        a.phone = None;
        a.email = Some("not-an-address".into());
        assert_eq!(a.clean(2026).unwrap_err().0, "applicant.email");
    }

    #[test]
    fn a_tax_code_is_kept_as_the_id_number() {
        let mut a = applicant();
        a.id_number = Some("0100109106".into());
        assert_eq!(
            a.clean(2026).unwrap().id_number.as_deref(),
            Some("0100109106")
        );
    }
}
