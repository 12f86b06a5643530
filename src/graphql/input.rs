//! Bounds on what a client may send, checked while an argument is parsed,
//! before any resolver runs: every `String` argument and input field has a
//! maximum length (stated in its description), search texts a maximum
//! number of words, times and dates a range the databases can hold, JSON
//! values a depth and size.
//!
//! A refusal is `BAD_USER_INPUT` naming the field: the validators put the
//! field and the `Problem` into the error's extensions and
//! `graphql::policy` words the message in the caller's language.
//!
//! Use them as `#[graphql(validator(custom = "Chars::new(\"name\", 200)"))]`
//! (or `SearchText`, `Moment`, `Day`, `Year`, `JsonBound`, `Items`) and say the limit in the
//! field's doc comment ("At most 200 characters.").

use async_graphql::{InputType, InputValueError};
use chrono::{Datelike, NaiveDate};

use crate::domain::text::{SEARCH_MAX_CHARS, SEARCH_MAX_WORDS};
use crate::domain::Problem;

/// Extension keys the policy reads back.
pub const FIELD_KEY: &str = "field";
pub const PROBLEM_KEY: &str = "problemVi";
pub const PROBLEM_EN_KEY: &str = "problemEn";
/// Marks an error raised by these validators.
pub const MARKER_KEY: &str = "inputBound";

/// The earliest and latest year a time or date argument may name: both
/// databases store it, and nothing in a dossier's life lies outside it.
pub const YEAR_MIN: i32 = 1900;
pub const YEAR_MAX: i32 = 2200;

fn refuse<T: InputType>(field: &str, problem: Problem) -> InputValueError<T> {
    InputValueError::custom(problem.en())
        .with_extension(MARKER_KEY, true)
        .with_extension(FIELD_KEY, field)
        .with_extension(PROBLEM_KEY, problem.vi())
        .with_extension(PROBLEM_EN_KEY, problem.en())
}

/// Text the databases can store: no NUL character (PostgreSQL refuses it in
/// `text` and `jsonb`).
fn storable<T: InputType>(field: &str, s: &str) -> Result<(), InputValueError<T>> {
    if s.contains('\0') {
        return Err(refuse(
            field,
            Problem::Invalid {
                vi: "Không được chứa ký tự NUL".into(),
                en: "Must not contain a NUL character".into(),
            },
        ));
    }
    Ok(())
}

/// A string of at most `max` characters (Unicode scalar values).
pub struct Chars {
    field: &'static str,
    max: usize,
}

impl Chars {
    pub const fn new(field: &'static str, max: usize) -> Self {
        Chars { field, max }
    }
}

impl async_graphql::CustomValidator<String> for Chars {
    fn check(&self, value: &String) -> Result<(), InputValueError<String>> {
        // Count cheaply: a string of at most `max` bytes is short enough.
        if value.len() > self.max && value.chars().count() > self.max {
            return Err(refuse(self.field, Problem::TooLong { max: self.max }));
        }
        storable(self.field, value)
    }
}

/// A search text: at most `SEARCH_MAX_CHARS` characters and
/// `SEARCH_MAX_WORDS` words.
pub struct SearchText(pub &'static str);

impl async_graphql::CustomValidator<String> for SearchText {
    fn check(&self, value: &String) -> Result<(), InputValueError<String>> {
        Chars::new(self.0, SEARCH_MAX_CHARS).check(value)?;
        if value.split_whitespace().count() > SEARCH_MAX_WORDS {
            return Err(refuse(
                self.0,
                Problem::Invalid {
                    vi: format!("Tìm kiếm tối đa {SEARCH_MAX_WORDS} từ"),
                    en: format!("Search with at most {SEARCH_MAX_WORDS} words"),
                },
            ));
        }
        Ok(())
    }
}

fn year_problem() -> Problem {
    Problem::Invalid {
        vi: format!("Năm phải trong khoảng {YEAR_MIN}–{YEAR_MAX}"),
        en: format!("The year must be between {YEAR_MIN} and {YEAR_MAX}"),
    }
}

/// An instant between `YEAR_MIN` and `YEAR_MAX`, years counted in the
/// province's zone.
pub struct Moment(pub &'static str);

impl async_graphql::CustomValidator<super::time::Time> for Moment {
    fn check(&self, value: &super::time::Time) -> Result<(), InputValueError<super::time::Time>> {
        if (YEAR_MIN..=YEAR_MAX).contains(&value.local_year()) {
            Ok(())
        } else {
            Err(refuse(self.0, year_problem()))
        }
    }
}

/// A calendar day between `YEAR_MIN` and `YEAR_MAX`.
pub struct Day(pub &'static str);

impl async_graphql::CustomValidator<NaiveDate> for Day {
    fn check(&self, value: &NaiveDate) -> Result<(), InputValueError<NaiveDate>> {
        if (YEAR_MIN..=YEAR_MAX).contains(&value.year()) {
            Ok(())
        } else {
            Err(refuse(self.0, year_problem()))
        }
    }
}

/// A year between `YEAR_MIN` and `YEAR_MAX`.
pub struct Year(pub &'static str);

impl async_graphql::CustomValidator<i32> for Year {
    fn check(&self, value: &i32) -> Result<(), InputValueError<i32>> {
        if (YEAR_MIN..=YEAR_MAX).contains(value) {
            Ok(())
        } else {
            Err(refuse(self.0, year_problem()))
        }
    }
}

/// The deepest nesting and the most characters of strings and keys a JSON
/// argument (an e-form) may carry.
pub const JSON_MAX_DEPTH: usize = 8;
pub const JSON_MAX_CHARS: usize = 100_000;

/// A JSON value of bounded depth and size whose strings the databases can
/// store.
pub struct JsonBound(pub &'static str);

impl async_graphql::CustomValidator<serde_json::Value> for JsonBound {
    fn check(&self, value: &serde_json::Value) -> Result<(), InputValueError<serde_json::Value>> {
        self.check_value(value)
    }
}

impl JsonBound {
    fn check_value<T: InputType>(
        &self,
        value: &serde_json::Value,
    ) -> Result<(), InputValueError<T>> {
        use serde_json::Value as V;
        let mut chars = 0usize;
        // Iteratively, so that no value recurses on the stack.
        let mut stack = vec![(value, 1usize)];
        while let Some((v, depth)) = stack.pop() {
            if depth > JSON_MAX_DEPTH {
                return Err(refuse(
                    self.0,
                    Problem::Invalid {
                        vi: format!("Dữ liệu lồng nhau quá {JSON_MAX_DEPTH} cấp"),
                        en: format!("Nested deeper than {JSON_MAX_DEPTH} levels"),
                    },
                ));
            }
            match v {
                V::String(s) => {
                    storable(self.0, s)?;
                    chars += s.len();
                }
                V::Array(items) => stack.extend(items.iter().map(|i| (i, depth + 1))),
                V::Object(map) => {
                    for (k, i) in map {
                        storable(self.0, k)?;
                        chars += k.len();
                        stack.push((i, depth + 1));
                    }
                }
                _ => {}
            }
            if chars > JSON_MAX_CHARS {
                return Err(refuse(
                    self.0,
                    Problem::TooLong {
                        max: JSON_MAX_CHARS,
                    },
                ));
            }
        }
        Ok(())
    }
}

/// A list of at most `max` items.
pub struct Items(pub &'static str, pub usize);

impl<T: InputType> async_graphql::CustomValidator<Vec<T>> for Items {
    fn check(&self, value: &Vec<T>) -> Result<(), InputValueError<Vec<T>>> {
        if value.len() > self.1 {
            return Err(refuse(
                self.0,
                Problem::Invalid {
                    vi: format!("Tối đa {} mục", self.1),
                    en: format!("At most {} items", self.1),
                },
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::CustomValidator;

    #[test]
    fn strings_are_bounded_in_characters_not_bytes() {
        let v = Chars::new("name", 3);
        assert!(v.check(&"Đặng".chars().take(3).collect()).is_ok());
        assert!(v.check(&"Đặng".to_owned()).is_err());
        assert!(v.check(&"a\0".to_owned()).is_err());
    }

    #[test]
    fn search_texts_are_bounded_in_words() {
        let v = SearchText("text");
        assert!(v.check(&"cap giay phep xay dung".to_owned()).is_ok());
        assert!(v.check(&["a"; SEARCH_MAX_WORDS + 1].join(" ")).is_err());
    }

    #[test]
    fn json_is_bounded_in_depth_and_keeps_no_nul() {
        let v = JsonBound("formData");
        let mut deep = serde_json::json!(1);
        for _ in 0..JSON_MAX_DEPTH {
            deep = serde_json::json!([deep]);
        }
        assert!(CustomValidator::<serde_json::Value>::check(&v, &deep).is_err());
        assert!(CustomValidator::<serde_json::Value>::check(
            &v,
            &serde_json::json!({"a": "x\u{0}"})
        )
        .is_err());
        assert!(
            CustomValidator::<serde_json::Value>::check(&v, &serde_json::json!({"a": ["b"]}))
                .is_ok()
        );
    }
}
