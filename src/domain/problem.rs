//! What is wrong with one input value, in words for both languages.

/// A reason an input value is refused. The API reports it as
/// `BAD_USER_INPUT` together with the offending field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Required,
    TooLong {
        max: usize,
    },
    OutOfRange {
        min: i64,
        max: i64,
    },
    CitizenIdFormat,
    CitizenIdProvince,
    CitizenIdBirthYear,
    TaxCode,
    Phone,
    Email,
    PasswordTooShort {
        min: usize,
    },
    PasswordTooLong {
        max: usize,
    },
    PasswordReused,
    /// On a list of common or breached passwords, or a simple variation.
    PasswordTooCommon,
    /// Contains the account's name, e-mail, phone, ID number or tax code.
    PasswordContainsIdentifier,
    AlreadyTaken,
    UnknownReference,
    UnknownValue,
    Invalid {
        vi: String,
        en: String,
    },
}

impl Problem {
    pub fn vi(&self) -> String {
        match self {
            Problem::Required => "Không được để trống".into(),
            Problem::TooLong { max } => format!("Dài quá {max} ký tự"),
            Problem::OutOfRange { min, max } => format!("Phải trong khoảng {min}–{max}"),
            Problem::CitizenIdFormat => "Số định danh cá nhân phải gồm đúng 12 chữ số".into(),
            Problem::CitizenIdProvince => {
                "Ba chữ số đầu của số định danh không phải mã tỉnh hợp lệ".into()
            }
            Problem::CitizenIdBirthYear => "Năm sinh trong số định danh không hợp lệ".into(),
            Problem::TaxCode => "Mã số thuế không hợp lệ".into(),
            Problem::Phone => "Số điện thoại không hợp lệ".into(),
            Problem::Email => "Địa chỉ thư điện tử không hợp lệ".into(),
            Problem::PasswordTooShort { min } => format!("Mật khẩu phải có ít nhất {min} ký tự"),
            Problem::PasswordTooLong { max } => format!("Mật khẩu dài quá {max} ký tự"),
            Problem::PasswordReused => "Mật khẩu mới phải khác mật khẩu hiện tại".into(),
            Problem::PasswordTooCommon => {
                "Mật khẩu quá phổ biến hoặc dễ đoán (có trong danh sách mật khẩu thường dùng hoặc đã bị lộ); hãy chọn mật khẩu khác, ví dụ một cụm nhiều từ".into()
            }
            Problem::PasswordContainsIdentifier => {
                "Mật khẩu không được chứa họ tên, thư điện tử, số điện thoại, số định danh hoặc mã số thuế của tài khoản".into()
            }
            Problem::AlreadyTaken => "Giá trị này đã được sử dụng".into(),
            Problem::UnknownReference => "Không tìm thấy đối tượng được tham chiếu".into(),
            Problem::UnknownValue => "Giá trị không hợp lệ".into(),
            Problem::Invalid { vi, .. } => vi.clone(),
        }
    }

    pub fn en(&self) -> String {
        match self {
            Problem::Required => "Must not be empty".into(),
            Problem::TooLong { max } => format!("Longer than {max} characters"),
            Problem::OutOfRange { min, max } => format!("Must be between {min} and {max}"),
            Problem::CitizenIdFormat => "A citizen ID number has exactly 12 digits".into(),
            Problem::CitizenIdProvince => {
                "The first three digits of the ID number are not a province code".into()
            }
            Problem::CitizenIdBirthYear => "The birth year in the ID number is not valid".into(),
            Problem::TaxCode => "Not a valid tax code".into(),
            Problem::Phone => "Not a valid phone number".into(),
            Problem::Email => "Not a valid e-mail address".into(),
            Problem::PasswordTooShort { min } => {
                format!("The password must have at least {min} characters")
            }
            Problem::PasswordTooLong { max } => format!("The password is longer than {max}"),
            Problem::PasswordReused => "The new password must differ from the current one".into(),
            Problem::PasswordTooCommon => {
                "This password is too common or easy to guess (it is on lists of common or breached passwords); choose another, for example a phrase of several words".into()
            }
            Problem::PasswordContainsIdentifier => {
                "The password must not contain the account's name, e-mail, phone number, ID number or tax code".into()
            }
            Problem::AlreadyTaken => "This value is already in use".into(),
            Problem::UnknownReference => "The referenced object does not exist".into(),
            Problem::UnknownValue => "Not an accepted value".into(),
            Problem::Invalid { en, .. } => en.clone(),
        }
    }
}
