//! Text folding for diacritics- and case-insensitive search.

use unicode_normalization::UnicodeNormalization;

/// The longest search text, in characters.
pub const SEARCH_MAX_CHARS: usize = 200;
/// The most words a search text may have: each word is one condition.
pub const SEARCH_MAX_WORDS: usize = 10;

/// The folded words of a search text, at most `SEARCH_MAX_WORDS` of them
/// (the API refuses more; this bound keeps any other caller from building
/// an unbounded condition).
pub fn search_words(s: &str) -> Vec<String> {
    fold(s)
        .split(' ')
        .filter(|w| !w.is_empty())
        .take(SEARCH_MAX_WORDS)
        .map(str::to_owned)
        .collect()
}

/// A `LIKE` pattern matching `word` anywhere, with `%`, `_` and the escape
/// character itself escaped by `LIKE_ESCAPE`: a user's text is never a pattern.
pub fn like_contains(word: &str) -> String {
    let mut p = String::with_capacity(word.len() + 2);
    p.push('%');
    for c in word.chars() {
        if matches!(c, '%' | '_' | LIKE_ESCAPE) {
            p.push(LIKE_ESCAPE);
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// The escape character of `like_contains` patterns.
pub const LIKE_ESCAPE: char = '\\';

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

/// The shortest dossier search, in characters once folded: the indexes
/// (trigrams on both databases) cannot serve fewer.
pub const DOSSIER_SEARCH_MIN_CHARS: usize = 3;

/// A dossier's search text: its code, the applicant's name, phone digits and
/// e-mail, folded (`fold`), joined by spaces, with digits apart by spaces or
/// dots joined (`join_digits`). An officer's search
/// (`dossier_search_phrase`) must be a substring of it.
pub fn dossier_search_text(
    code: Option<&str>,
    name: &str,
    phone: Option<&str>,
    email: Option<&str>,
) -> String {
    let phone: Option<String> = phone.map(|p| p.chars().filter(char::is_ascii_digit).collect());
    let parts = [code, Some(name), phone.as_deref(), email];
    join_digits(&fold(
        &parts.into_iter().flatten().collect::<Vec<_>>().join(" "),
    ))
}

/// What an officer's search looks for in `dossier_search_text`: the text
/// folded, digits typed apart by spaces or dots joined ("0905 777.888"
/// looks for "0905777888"), as the stored text has them. The whole phrase
/// is looked for, in order, anywhere. `Problem::Invalid` if shorter than
/// `DOSSIER_SEARCH_MIN_CHARS` characters.
pub fn dossier_search_phrase(s: &str) -> Result<String, super::problem::Problem> {
    let phrase = join_digits(&fold(s));
    if phrase.chars().count() < DOSSIER_SEARCH_MIN_CHARS {
        return Err(super::problem::Problem::Invalid {
            vi: format!("Cần ít nhất {DOSSIER_SEARCH_MIN_CHARS} ký tự"),
            en: format!("At least {DOSSIER_SEARCH_MIN_CHARS} characters are needed"),
        });
    }
    Ok(phrase)
}

/// Drops the spaces and dots between two digits: "0905 777.888" becomes
/// "0905777888", "1.004227" becomes "1004227".
fn join_digits(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        let apart = |c: &char| *c == ' ' || *c == '.';
        let between_digits = apart(&c)
            && out.chars().last().is_some_and(|p| p.is_ascii_digit())
            && chars[i + 1..]
                .iter()
                .find(|r| !apart(r))
                .is_some_and(char::is_ascii_digit);
        if !between_digits {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dossier_search_text_is_folded_with_phone_digits() {
        assert_eq!(fold("Nguyễn Văn An"), "nguyen van an");
        assert_eq!(fold("Đặng"), "dang");
        assert_eq!(
            dossier_search_text(
                Some("000.00.45.H12-261201-0001"),
                "Đặng Thị Hà",
                Some("0905 777.888"),
                None
            ),
            "0000045.h12-261201-0001 dang thi ha 0905777888"
        );
        assert_eq!(
            dossier_search_text(None, "An", None, Some("A@B.VN")),
            "an a@b.vn"
        );
    }

    #[test]
    fn dossier_search_phrases_join_digits_typed_apart() {
        assert_eq!(
            dossier_search_phrase("  NGUYỄN văn  An ").unwrap(),
            "nguyen van an"
        );
        assert_eq!(dossier_search_phrase("0905 777.888").unwrap(), "0905777888");
        assert_eq!(dossier_search_phrase("0905. 777").unwrap(), "0905777");
        assert_eq!(dossier_search_phrase("An 0905").unwrap(), "an 0905");
        assert_eq!(dossier_search_phrase("261201-0001").unwrap(), "261201-0001");
        assert_eq!(dossier_search_phrase("00.45.H12").unwrap(), "0045.h12");
        assert!(dossier_search_phrase(" Ăn ").is_err());
        assert!(dossier_search_phrase("1 2").is_err());
    }

    #[test]
    fn search_words_are_bounded_and_patterns_escaped() {
        assert_eq!(search_words(&"a ".repeat(50)).len(), SEARCH_MAX_WORDS);
        assert_eq!(like_contains("50%_x"), "%50\\%\\_x%");
        assert_eq!(like_contains("a\\b"), "%a\\\\b%");
    }

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
