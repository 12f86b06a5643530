//! Text folding for diacritics- and case-insensitive search.

use unicode_normalization::UnicodeNormalization;

/// Lower-cases `s`, strips Vietnamese diacritics (đ becomes d) and collapses
/// white space, so that "Cấp  GIẤY phép" and "cap giay phep" fold alike.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        match c {
            'đ' | 'Đ' => out.push('d'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folding_removes_vietnamese_diacritics_and_case() {
        assert_eq!(fold("Cấp giấy phép xây dựng"), "cap giay phep xay dung");
        assert_eq!(fold("ĐĂNG KÝ KHAI SINH"), "dang ky khai sinh");
        assert_eq!(fold("  Quản lý   đất đai "), "quan ly dat dai");
    }

    #[test]
    fn folding_keeps_digits_and_punctuation() {
        assert_eq!(fold("Mã 1.004227"), "ma 1.004227");
    }
}
