//! Validated identity values: parse once at the edge, trust afterwards.

use super::authz::AccountKind;
use super::text::fold;
use super::Problem;

/// Province codes that open a 12-digit citizen ID number (mã tỉnh nơi đăng ký
/// khai sinh, Circular 59/2021/TT-BCA Annex I; the 63 pre-2025 provinces,
/// which remain valid on cards issued before the merger).
const ID_PROVINCE_CODES: [u16; 63] = [
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37,
    38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77,
    79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
];

/// Số định danh cá nhân (citizen ID number): 12 digits = province code (3),
/// century-and-sex digit (1), birth year (2), random (6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitizenId(String);

impl CitizenId {
    /// `current_year` bounds the encoded birth year.
    pub fn parse(s: &str, current_year: i32) -> Result<Self, Problem> {
        let s = s.trim();
        if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Problem::CitizenIdFormat);
        }
        let digit = |i: usize| i32::from(s.as_bytes()[i] - b'0');
        let province = (digit(0) * 100 + digit(1) * 10 + digit(2)) as u16;
        if !ID_PROVINCE_CODES.contains(&province) {
            return Err(Problem::CitizenIdProvince);
        }
        // 0/1: 20th century, 2/3: 21st, … (even male, odd female).
        let century = 1900 + (digit(3) / 2) * 100;
        let year = century + digit(4) * 10 + digit(5);
        if year > current_year {
            return Err(Problem::CitizenIdBirthYear);
        }
        Ok(CitizenId(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Mã số thuế: 10 digits with a check digit, or 13 (`NNNNNNNNNN-NNN`, a
/// dependent unit) written with or without the dash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxCode(String);

impl TaxCode {
    pub fn parse(s: &str) -> Result<Self, Problem> {
        let s = s.trim();
        let digits: String = s.chars().filter(|c| *c != '-').collect();
        if !(digits.len() == 10 || digits.len() == 13)
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(Problem::TaxCode);
        }
        let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        const WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];
        let sum: u32 = WEIGHTS.iter().zip(&d).map(|(w, x)| w * x).sum();
        let check = 10 - (sum % 11);
        if check >= 10 || check != d[9] {
            return Err(Problem::TaxCode);
        }
        let normal = if digits.len() == 13 {
            format!("{}-{}", &digits[..10], &digits[10..])
        } else {
            digits
        };
        Ok(TaxCode(normal))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Vietnamese phone number, normalised to the national form `0…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// Parses a phone number written with or without spaces, dots, dashes
    /// or the `+84` prefix. Errors: [`Problem::Phone`].
    pub fn parse(s: &str) -> Result<Self, Problem> {
        let compact: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-'))
            .collect();
        let national = match compact.strip_prefix("+84") {
            Some(rest) => format!("0{rest}"),
            None => compact,
        };
        let ok = national.starts_with('0')
            && (10..=11).contains(&national.len())
            && national.bytes().all(|b| b.is_ascii_digit());
        if ok {
            Ok(Phone(national))
        } else {
            Err(Problem::Phone)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The one rule for an optional phone number or e-mail address: absent,
/// empty or only whitespace means none given (as a user leaving the box
/// blank expects); anything else must parse.
fn parse_optional<T>(
    s: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, Problem>,
) -> Result<Option<T>, Problem> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => parse(t).map(Some),
    }
}

impl Phone {
    /// An optional phone number: blank is none (see [`Phone::parse`] for
    /// the rest). Errors: [`Problem::Phone`].
    pub fn parse_optional(s: Option<&str>) -> Result<Option<Phone>, Problem> {
        parse_optional(s, Phone::parse)
    }
}

impl Email {
    /// An optional e-mail address: blank is none (see [`Email::parse`] for
    /// the rest). Errors: [`Problem::Email`].
    pub fn parse_optional(s: Option<&str>) -> Result<Option<Email>, Problem> {
        parse_optional(s, Email::parse)
    }
}

/// An e-mail address, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Parses an address, trimmed and lower-cased. Errors: [`Problem::Email`].
    pub fn parse(s: &str) -> Result<Self, Problem> {
        let s = s.trim().to_lowercase();
        let valid = s.len() <= 254
            && s.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !s.chars().any(char::is_whitespace)
            });
        if valid {
            Ok(Email(s))
        } else {
            Err(Problem::Email)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an account is known by. A password must not contain any of it
/// (NIST SP 800-63B §3.1.1.2: "context-specific words, such as the name of
/// the service, the username, and derivatives thereof"; OWASP ASVS 5.0
/// V6.2.11). Values as stored (normalised), `None` when the account has none.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccountIdentifiers<'a> {
    /// Full name, or an organisation's name.
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub citizen_id: Option<&'a str>,
    pub tax_code: Option<&'a str>,
}

impl AccountIdentifiers<'_> {
    /// The folded (lower-case, no diacritics) pieces a password may not
    /// contain: the e-mail, its local part and the local part's words; the
    /// phone number without its leading 0 (so `0905…`, `+84905…` and `905…`
    /// all match); the ID number; the tax code's first ten digits (a
    /// dependent unit's `-NNN` suffix is not needed to match); the name's
    /// words and the name written without spaces. Pieces shorter than
    /// [`NewPassword::MIN_IDENTIFIER_CHARS`] are left out: "an" or "thi"
    /// would forbid half the language.
    pub fn pieces(&self) -> Vec<String> {
        let mut pieces = Vec::new();
        if let Some(email) = self.email.map(fold) {
            if let Some((local, _domain)) = email.split_once('@') {
                pieces.push(local.to_owned());
                pieces.extend(local.split(['.', '_', '-', '+']).map(str::to_owned));
            }
            pieces.push(email);
        }
        let digits = |s: &str| -> String { s.chars().filter(char::is_ascii_digit).collect() };
        if let Some(phone) = self.phone.map(digits) {
            let national = phone.strip_prefix("84").map_or(phone.as_str(), |rest| rest);
            pieces.push(national.trim_start_matches('0').to_owned());
        }
        if let Some(id) = self.citizen_id.map(digits) {
            pieces.push(id);
        }
        if let Some(tax) = self.tax_code.map(digits) {
            pieces.push(tax.chars().take(10).collect());
        }
        if let Some(name) = self.name.map(fold) {
            pieces.extend(name.split(' ').map(str::to_owned));
            pieces.push(name.replace(' ', ""));
        }
        pieces.retain(|p| p.chars().count() >= NewPassword::MIN_IDENTIFIER_CHARS);
        pieces.sort();
        pieces.dedup();
        pieces
    }
}

/// Words of this service a password may not be built on (ASVS 5.0
/// V6.2.11), folded: "mật khẩu" (password), "dịch vụ công" (public
/// service), "công dân" (citizen), "quản trị" (administration). The
/// service's own name, `motcua`, is not here: the demo accounts' published
/// password is built on it.
const SERVICE_WORDS: &[&str] = &[
    "matkhau",
    "mat khau",
    "dichvucong",
    "dich vu cong",
    "congdan",
    "cong dan",
    "quantri",
    "quan tri",
];

/// A new password that meets the policy (NIST SP 800-63B §3.1.1.2; OWASP
/// ASVS 5.0 V6.2): 8 to 128 characters, any characters (no composition
/// rules); not one of the common or breached passwords, nor a simple
/// variation of one; not containing the account's own identifiers.
///
/// "Common" is judged by zxcvbn (Dropbox's estimator, whose dictionaries
/// rank the most frequent passwords of public breaches, English words and
/// names, and which sees keyboard patterns, sequences, repeats, dates and
/// l33t substitutions): a password it expects an attacker to guess in fewer
/// than [`NewPassword::MIN_GUESSES`] tries is refused. It judges the folded
/// password (lower case, no diacritics), as attackers' lists spell it.
///
/// Errors, for the caller to report on its `password` (or `newPassword`)
/// field: `PasswordTooShort`, `PasswordTooLong`,
/// `PasswordContainsIdentifier`, `PasswordTooCommon`.
#[derive(Clone)]
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 8;
    /// Long enough for any pass phrase; bounds the work of checking and hashing.
    pub const MAX_CHARS: usize = 128;
    /// zxcvbn's estimate of an attacker's guesses below which a password is
    /// refused: 10^6, its "score 2" — out of reach of online guessing while
    /// sign-in is throttled, and beyond every list of common passwords.
    pub const MIN_GUESSES: u64 = 1_000_000;
    /// The shortest identifier piece a password is checked for.
    pub const MIN_IDENTIFIER_CHARS: usize = 4;

    pub fn parse(s: &str, own: &AccountIdentifiers<'_>) -> Result<Self, Problem> {
        Self::check_length(s)?;
        let folded = fold(s);
        // Also without spaces and punctuation: "0905 111 222", "binh.tran".
        let compact: String = folded.chars().filter(|c| c.is_alphanumeric()).collect();
        let pieces = own.pieces();
        if pieces
            .iter()
            .any(|p| folded.contains(p.as_str()) || compact.contains(p.as_str()))
        {
            return Err(Problem::PasswordContainsIdentifier);
        }
        let guesses = |inputs: &[&str]| zxcvbn::zxcvbn(&folded, inputs).guesses();
        let mut inputs: Vec<&str> = SERVICE_WORDS.to_vec();
        inputs.extend(pieces.iter().map(String::as_str));
        if guesses(&inputs) >= Self::MIN_GUESSES {
            return Ok(NewPassword(s.to_owned()));
        }
        // Weak: because it is common, or only through the identifiers
        // (reversed, l33t-spelt…)?
        if guesses(SERVICE_WORDS) < Self::MIN_GUESSES {
            Err(Problem::PasswordTooCommon)
        } else {
            Err(Problem::PasswordContainsIdentifier)
        }
    }

    /// A password that is public by design — the demo accounts',
    /// printed in the README — checked for length only: a published password
    /// is "breached" by definition, and it may well contain a demo account's
    /// identifiers (`motcua@2026` for `motcua@demo.motcua.vn`). Never for an
    /// account a person uses.
    pub fn published(s: &str) -> Result<Self, Problem> {
        Self::check_length(s)?;
        Ok(NewPassword(s.to_owned()))
    }

    fn check_length(s: &str) -> Result<(), Problem> {
        let n = s.chars().count();
        if n < Self::MIN_CHARS {
            Err(Problem::PasswordTooShort {
                min: Self::MIN_CHARS,
            })
        } else if n > Self::MAX_CHARS {
            Err(Problem::PasswordTooLong {
                max: Self::MAX_CHARS,
            })
        } else {
            Ok(())
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// The identity number written on a dossier for its applicant: a citizen
/// ID number, or an organisation's tax code (normalised).
pub fn applicant_id_number(s: &str, current_year: i32) -> Result<String, Problem> {
    match CitizenId::parse(s, current_year) {
        Ok(id) => Ok(id.0),
        // Not 12 digits: an organisation's tax code, or a mistake in an ID.
        Err(Problem::CitizenIdFormat) => TaxCode::parse(s)
            .map(|t| t.0)
            .map_err(|_| Problem::CitizenIdFormat),
        Err(other) => Err(other),
    }
}

/// Whether an account is the applicant's own, so that a dossier entered on
/// their behalf may be linked to it: its verified identity (a citizen's ID
/// number, an organisation's tax code) is the number written on the
/// dossier. Officials are nobody's applicant account (DOMAIN.md "Who uses
/// it").
pub fn is_applicants_account(
    kind: AccountKind,
    citizen_id: Option<&str>,
    tax_code: Option<&str>,
    applicant_id_number: Option<&str>,
) -> bool {
    let verified = match kind {
        AccountKind::Citizen => citizen_id,
        AccountKind::Organisation => tax_code,
        AccountKind::Official => None,
    };
    matches!((verified, applicant_id_number), (Some(a), Some(b)) if a == b)
}

/// A required, trimmed, bounded piece of text (a name, a title).
pub fn required_text(s: &str, max: usize) -> Result<String, Problem> {
    let t = s.trim();
    if t.is_empty() {
        Err(Problem::Required)
    } else if t.chars().count() > max {
        Err(Problem::TooLong { max })
    } else {
        Ok(t.to_owned())
    }
}

/// A name or address: required text (`required_text`) on one line — no
/// control character (line breaks, tabs), line or paragraph separator
/// (U+2028, U+2029) or bidirectional control (U+202A–U+202E,
/// U+2066–U+2069): it is printed on receipts, forms and export rows, which
/// a line break would split and a direction override would make read
/// otherwise than stored.
pub fn one_line(s: &str, max: usize) -> Result<String, Problem> {
    let t = required_text(s, max)?;
    let breaks = |c: char| {
        c.is_control()
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    };
    if t.chars().any(breaks) {
        return Err(Problem::Invalid {
            vi: "Không được chứa ký tự xuống dòng hay ký tự điều khiển".into(),
            en: "May not contain line breaks or other control characters".into(),
        });
    }
    Ok(t)
}

/// `one_line`, optional: blank becomes `None`.
pub fn optional_line(s: Option<&str>, max: usize) -> Result<Option<String>, Problem> {
    match s.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => one_line(t, max).map(Some),
        None => Ok(None),
    }
}

/// Optional text: blank becomes `None`.
pub fn optional_text(s: Option<&str>, max: usize) -> Result<Option<String>, Problem> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => required_text(t, max).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_well_formed_citizen_id_parses() {
        assert!(CitizenId::parse("051095001234", 2026).is_ok());
        assert!(CitizenId::parse(" 001203000001 ", 2026).is_ok());
    }

    #[test]
    fn citizen_ids_with_wrong_length_province_or_year_are_refused() {
        assert_eq!(
            CitizenId::parse("05109500123", 2026),
            Err(Problem::CitizenIdFormat)
        );
        assert_eq!(
            CitizenId::parse("05109500123a", 2026),
            Err(Problem::CitizenIdFormat)
        );
        assert_eq!(
            CitizenId::parse("003095001234", 2026),
            Err(Problem::CitizenIdProvince)
        );
        assert_eq!(
            CitizenId::parse("097095001234", 2026),
            Err(Problem::CitizenIdProvince)
        );
        // Born in 2099.
        assert_eq!(
            CitizenId::parse("051299001234", 2026),
            Err(Problem::CitizenIdBirthYear)
        );
    }

    #[test]
    fn tax_codes_are_checked_by_their_check_digit() {
        assert_eq!(
            TaxCode::parse("0100109106").map(|t| t.0),
            Ok("0100109106".into())
        );
        assert_eq!(
            TaxCode::parse("0100109106001").map(|t| t.0),
            Ok("0100109106-001".into())
        );
        assert_eq!(TaxCode::parse("0100109107"), Err(Problem::TaxCode));
        assert_eq!(TaxCode::parse("01001091"), Err(Problem::TaxCode));
    }

    #[test]
    fn an_applicant_is_identified_by_a_citizen_id_or_a_tax_code() {
        assert_eq!(
            applicant_id_number(" 051095001234 ", 2026),
            Ok("051095001234".into())
        );
        assert_eq!(
            applicant_id_number("0100109106001", 2026),
            Ok("0100109106-001".into())
        );
        assert_eq!(
            applicant_id_number("123", 2026),
            Err(Problem::CitizenIdFormat)
        );
        assert_eq!(
            applicant_id_number("003095001234", 2026),
            Err(Problem::CitizenIdProvince)
        );
    }

    #[test]
    fn only_the_applicants_own_verified_identity_links_an_account() {
        use AccountKind as K;
        let id = Some("001085000111");
        let tax = Some("0100109106");
        assert!(is_applicants_account(K::Citizen, id, None, id));
        assert!(!is_applicants_account(
            K::Citizen,
            Some("051095001234"),
            None,
            id
        ));
        assert!(!is_applicants_account(K::Citizen, None, None, None));
        assert!(!is_applicants_account(K::Citizen, id, None, None));
        assert!(is_applicants_account(K::Organisation, None, tax, tax));
        // An organisation is not linked by a citizen ID it does not verify.
        assert!(!is_applicants_account(K::Organisation, id, tax, id));
        assert!(!is_applicants_account(K::Official, id, tax, id));
    }

    #[test]
    fn phones_normalise_to_the_national_form() {
        assert_eq!(
            Phone::parse("+84 912 345 678").map(|p| p.0),
            Ok("0912345678".into())
        );
        assert_eq!(
            Phone::parse("0255.3822.123").map(|p| p.0),
            Ok("02553822123".into())
        );
        assert_eq!(Phone::parse("12345"), Err(Problem::Phone));
    }

    #[test]
    fn a_blank_optional_phone_or_email_is_none() {
        for blank in [None, Some(""), Some("   "), Some("\t")] {
            assert_eq!(Phone::parse_optional(blank), Ok(None), "{blank:?}");
            assert_eq!(Email::parse_optional(blank), Ok(None), "{blank:?}");
        }
        assert_eq!(
            Phone::parse_optional(Some(" 0912 345 678 ")).map(|p| p.map(|p| p.0)),
            Ok(Some("0912345678".into()))
        );
        assert_eq!(
            Email::parse_optional(Some(" An@Example.VN")).map(|e| e.map(|e| e.0)),
            Ok(Some("an@example.vn".into()))
        );
        assert_eq!(Phone::parse_optional(Some("12345")), Err(Problem::Phone));
        assert_eq!(Email::parse_optional(Some("an@")), Err(Problem::Email));
    }

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(
            Email::parse(" An@Example.VN ").map(|e| e.0),
            Ok("an@example.vn".into())
        );
        for bad in ["an", "an@", "@x.vn", "a@b", "a b@x.vn", "a@x.vn."] {
            assert_eq!(Email::parse(bad), Err(Problem::Email), "{bad}");
        }
    }

    const NOBODY: AccountIdentifiers<'static> = AccountIdentifiers {
        name: None,
        email: None,
        phone: None,
        citizen_id: None,
        tax_code: None,
    };

    fn binh() -> AccountIdentifiers<'static> {
        AccountIdentifiers {
            name: Some("Trần Thị Bình"),
            email: Some("binh.tran@example.vn"),
            phone: Some("0905111222"),
            citizen_id: Some("051195004321"),
            tax_code: None,
        }
    }

    #[test]
    fn passwords_need_eight_to_128_characters_counted_as_characters() {
        assert_eq!(
            NewPassword::parse("1234567", &NOBODY).map(|_| ()),
            Err(Problem::PasswordTooShort { min: 8 })
        );
        // Eight characters, fourteen bytes.
        assert!(NewPassword::parse("đàn bầu5", &NOBODY).is_ok());
        let long = "hoa sen nở giữa đầm lầy ".repeat(6);
        assert!(
            NewPassword::parse(&long[..long.char_indices().nth(128).unwrap().0], &NOBODY).is_ok()
        );
        assert_eq!(
            NewPassword::parse(&"x".repeat(129), &NOBODY).map(|_| ()),
            Err(Problem::PasswordTooLong { max: 128 })
        );
    }

    #[test]
    fn common_and_breached_passwords_are_refused() {
        for common in [
            "12345678",
            "123456789",
            "password",
            "Password1",
            "P@ssw0rd!",
            "qwertyuiop",
            "iloveyou1",
            "abcdefgh",
            "11111111",
            "a1b2c3d4",
            "matkhau123",
            "Mật khẩu",
            "dichvucong1",
        ] {
            assert_eq!(
                NewPassword::parse(common, &NOBODY).map(|_| ()),
                Err(Problem::PasswordTooCommon),
                "{common}"
            );
        }
    }

    #[test]
    fn passwords_with_the_accounts_identifiers_are_refused() {
        for own in [
            "binh.tran@example.vn",
            "BINH.TRAN@example.vn!",
            "binh.tran2026",
            "x051195004321",
            "0905 111 222 ab",
            "+84905111222",
            "Bình-2026-hay",
            "tranthibinh",
            // Reversed: zxcvbn sees it.
            "nart.hnib",
        ] {
            assert_eq!(
                NewPassword::parse(own, &binh()).map(|_| ()),
                Err(Problem::PasswordContainsIdentifier),
                "{own}"
            );
        }
        let organisation = AccountIdentifiers {
            name: Some("Công ty TNHH Sông Trà"),
            tax_code: Some("0100109106-001"),
            ..NOBODY
        };
        for own in ["0100109106xyz", "songtra-cong-ty", "tnhh 2026 abc"] {
            assert_eq!(
                NewPassword::parse(own, &organisation).map(|_| ()),
                Err(Problem::PasswordContainsIdentifier),
                "{own}"
            );
        }
        // "Khác" is both a word of her name and her e-mail's local part.
        let khac = AccountIdentifiers {
            name: Some("Võ Thị Khác"),
            email: Some("khac@x.vn"),
            ..NOBODY
        };
        assert_eq!(
            NewPassword::parse("mat-khau-khac", &khac).map(|_| ()),
            Err(Problem::PasswordContainsIdentifier)
        );
        // Short name words ("thi") are not identifiers.
        assert!(NewPassword::parse("thi ca hoa sen", &binh()).is_ok());
    }

    #[test]
    fn good_passwords_pass_whoever_sets_them() {
        for good in [
            "motcua@2026",
            "mat-khau-1",
            "mat-khau-moi",
            "mat-khau-thu-hai",
            "hoa-sen-no-giua-dong",
            "xK9#mQ2$",
            "correct horse battery staple",
        ] {
            assert!(NewPassword::parse(good, &binh()).is_ok(), "{good}");
            assert!(NewPassword::parse(good, &NOBODY).is_ok(), "{good}");
        }
    }

    #[test]
    fn the_published_demo_password_is_checked_for_length_only() {
        let receptionist = AccountIdentifiers {
            email: Some("motcua@demo.motcua.vn"),
            ..NOBODY
        };
        assert_eq!(
            NewPassword::parse("motcua@2026", &receptionist).map(|_| ()),
            Err(Problem::PasswordContainsIdentifier)
        );
        assert!(NewPassword::published("motcua@2026").is_ok());
        assert!(NewPassword::published("short").is_err());
    }

    #[test]
    fn identifier_pieces_are_folded_and_long_enough() {
        let pieces = binh().pieces();
        for p in [
            "binh.tran@example.vn",
            "binh.tran",
            "binh",
            "tran",
            "tranthibinh",
            "905111222",
            "051195004321",
        ] {
            assert!(pieces.contains(&p.to_owned()), "{p} in {pieces:?}");
        }
        assert!(!pieces.contains(&"thi".to_owned()));
    }
}
