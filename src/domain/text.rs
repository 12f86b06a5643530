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

#[cfg(test)]
mod tests {
    use super::*;

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
