//! The Vietnamese of the request errors async-graphql writes in English
//! (parse and validation: an unknown field, a missing argument, an unused
//! variable…), as specific as the English: every name, type and
//! suggestion the English carries is carried over. A message outside the
//! table keeps its English after a Vietnamese lead, so that no answer in
//! Vietnamese is English alone.

/// English patterns of async-graphql 7 (`{}` is a name or type it fills
/// in) and their Vietnamese (`{0}`, `{1}`… the same pieces in order).
/// Longer patterns come before those they start with.
const TABLE: &[(&str, &str)] = &[
    // A value of the wrong type (arguments and variables).
    (
        "Invalid value for argument \"{}\", enumeration type \"{}\" does not contain the value \"{}\"",
        "Giá trị của \"{0}\" không hợp lệ: kiểu liệt kê \"{1}\" không có giá trị \"{2}\"",
    ),
    (
        "Invalid value for argument \"{}\", expected type \"{}\"",
        "Giá trị của \"{0}\" không hợp lệ: cần kiểu \"{1}\"",
    ),
    (
        "Invalid value for argument \"{}\", unknown field \"{}\" of type \"{}\"",
        "Giá trị của \"{0}\" không hợp lệ: kiểu \"{2}\" không có trường \"{1}\"",
    ),
    (
        "Invalid value for argument \"{}\", field \"{}\" of type \"{}\" is required but not provided",
        "Giá trị của \"{0}\" không hợp lệ: thiếu trường bắt buộc \"{1}\" (kiểu \"{2}\")",
    ),
    (
        "Invalid value for argument \"{}\", {}",
        "Giá trị của \"{0}\" không hợp lệ: {1}",
    ),
    (
        "Failed to parse \"{}\": {}",
        "Không đọc được giá trị kiểu \"{0}\": {1}",
    ),
    (
        "Expected input type \"{}\", found {}.",
        "Cần giá trị kiểu \"{0}\", nhận được {1}.",
    ),
    (
        "Unknown field \"{}\" on type \"{}\".{}",
        "Kiểu \"{1}\" không có trường \"{0}\".{2}",
    ),
    (
        "Unknown argument \"{}\" on field \"{}\" of type \"{}\".{}",
        "Trường \"{1}\" của kiểu \"{2}\" không có tham số \"{0}\".{3}",
    ),
    (
        "Unknown argument \"{}\" on directive \"{}\".{}",
        "Chỉ thị \"{1}\" không có tham số \"{0}\".{2}",
    ),
    (
        "Field \"{}\" argument \"{}\" of type \"{}\" is required but not provided",
        // The type is the field's parent.
        "Trường \"{0}\" của kiểu \"{2}\" thiếu tham số bắt buộc \"{1}\"",
    ),
    (
        "Directive \"@{}\" argument \"{}\" of type \"{}\" is required but not provided",
        "Chỉ thị \"@{0}\" thiếu tham số bắt buộc \"{1}\" (kiểu \"{2}\")",
    ),
    (
        "Field \"{}\" of type \"{}\" must have a selection of subfields",
        "Trường \"{0}\" (kiểu \"{1}\") phải chọn các trường con",
    ),
    (
        "Field \"{}\" must not have a selection since type \"{}\" has no subfields",
        "Trường \"{0}\" không được chọn trường con vì kiểu \"{1}\" không có trường con",
    ),
    (
        "Fields \"{}\" conflict because \"{}\" and \"{}\" are different fields. Use different aliases on the fields to fetch both if this was intentional.",
        "Các trường \"{0}\" xung đột vì \"{1}\" và \"{2}\" là hai trường khác nhau. Hãy đặt bí danh (alias) khác nhau để lấy cả hai.",
    ),
    (
        "Fields \"{}\" conflict because they have differing arguments. Use different aliases on the fields to fetch both if this was intentional.",
        "Các trường \"{0}\" xung đột vì có tham số khác nhau. Hãy đặt bí danh (alias) khác nhau để lấy cả hai.",
    ),
    ("Unknown type \"{}\"", "Không có kiểu \"{0}\""),
    ("Unknown directive \"{}\"", "Không có chỉ thị \"{0}\""),
    ("Duplicate directive \"{}\"", "Chỉ thị \"{0}\" bị lặp lại"),
    (
        "Directive \"{}\" may not be used on \"{}\"",
        "Không được dùng chỉ thị \"{0}\" tại \"{1}\"",
    ),
    ("Fragment \"{}\" is never used", "Fragment \"{0}\" không được dùng"),
    ("Unknown fragment: \"{}\"", "Không có fragment \"{0}\""),
    ("Unknown fragment \"{}\".", "Không có fragment \"{0}\"."),
    (
        "Fragment \"{}\" cannot be spread here as objects of type \"{}\" can never be of type \"{}\"",
        "Không thể trải fragment \"{0}\" ở đây: đối tượng kiểu \"{1}\" không bao giờ thuộc kiểu \"{2}\"",
    ),
    (
        "Fragment cannot be spread here as objects of type \"{}\" can never be of type \"{}\"",
        "Không thể trải fragment ở đây: đối tượng kiểu \"{0}\" không bao giờ thuộc kiểu \"{1}\"",
    ),
    (
        "Fragment \"{}\" cannot condition non composite type \"{}\"",
        "Fragment \"{0}\" không thể đặt trên kiểu không phức hợp \"{1}\"",
    ),
    (
        "Fragment cannot condition non composite type \"{}\"",
        "Fragment không thể đặt trên kiểu không phức hợp \"{0}\"",
    ),
    (
        "Cannot spread fragment \"{}\"",
        "Không thể trải fragment \"{0}\" (fragment tham chiếu vòng)",
    ),
    (
        "Variable \"${}\" is not defined by operation \"{}\"",
        "Biến \"${0}\" chưa được khai báo trong thao tác \"{1}\"",
    ),
    ("Variable \"${}\" is not defined", "Biến \"${0}\" chưa được khai báo"),
    (
        "Variable \"${}\" is not used by operation \"{}\"",
        "Biến \"${0}\" không được dùng trong thao tác \"{1}\"",
    ),
    ("Variable \"${}\" is not used", "Biến \"${0}\" không được dùng"),
    (
        "Variable \"{}\" cannot be of non-input type \"{}\"",
        "Biến \"{0}\" không thể có kiểu \"{1}\" (không phải kiểu đầu vào)",
    ),
    (
        "Variable \"{}\" of type \"{}\" used in position expecting type \"{}\"",
        "Biến \"{0}\" kiểu \"{1}\" được dùng ở vị trí cần kiểu \"{2}\"",
    ),
    ("Variable {} is not defined.", "Biến {0} chưa được khai báo."),
    (
        "There can only be one variable named \"${}\"",
        "Chỉ được có một biến tên \"${0}\"",
    ),
    (
        "There can only be one argument named \"{}\"",
        "Chỉ được có một tham số tên \"{0}\"",
    ),
    (
        "Invalid default value for argument: {}",
        "Giá trị mặc định của tham số không hợp lệ: {0}",
    ),
    (
        "The Upload type is only allowed to be defined on a mutation",
        "Kiểu Upload chỉ được dùng trong mutation",
    ),
    ("Unknown operation named \"{}\"", "Không có thao tác tên \"{0}\""),
    (
        "Operation name required in request.",
        "Tài liệu có nhiều thao tác: yêu cầu phải nêu operationName.",
    ),
    (
        "document contains multiple operations",
        "Tài liệu có nhiều thao tác",
    ),
    ("operation {} is defined twice", "Thao tác {0} được định nghĩa hai lần"),
    ("fragment {} is defined twice", "Fragment {0} được định nghĩa hai lần"),
    (
        "document does not contain an operation",
        "Tài liệu không có thao tác nào",
    ),
    ("recursion limit exceeded.", "Truy vấn lồng nhau quá sâu."),
    (
        "Schema is not configured for subscription.",
        "Lược đồ không có subscription.",
    ),
    (
        "Schema is not configured for mutations.",
        "Lược đồ không có mutation.",
    ),
    (
        "Oneof Input Objects require that exactly one field must be supplied and that field must not be null",
        "Đối tượng đầu vào dạng oneof cần đúng một trường, và trường đó không được null",
    ),
];

/// What async-graphql appends to an unknown name: its suggestions.
const SUGGESTION: (&str, &str) = (" Did you mean ", " Có phải ý bạn là ");

/// The Vietnamese of an async-graphql request error written in English.
pub fn vietnamese(english: &str) -> String {
    if english.starts_with(" --> ") || english.starts_with("-->") {
        // A syntax error: pest's picture of where the query broke.
        return format!("Truy vấn sai cú pháp:\n{english}");
    }
    for (pattern, vi) in TABLE {
        if let Some(pieces) = matches(pattern, english) {
            let mut out = (*vi).to_owned();
            for (i, piece) in pieces.iter().enumerate() {
                let piece = piece.replacen(SUGGESTION.0, SUGGESTION.1, 1);
                out = out.replace(&format!("{{{i}}}"), &piece);
            }
            return out;
        }
    }
    format!("Truy vấn không hợp lệ: {english}")
}

/// The pieces `{}` stands for when `text` is `pattern` filled in: each the
/// shortest that lets the rest match, the last one the rest of the text.
fn matches<'t>(pattern: &str, text: &'t str) -> Option<Vec<&'t str>> {
    let mut literals = pattern.split("{}");
    let first = literals.next()?;
    let mut rest = text.strip_prefix(first)?;
    let mut pieces = Vec::new();
    let literals: Vec<&str> = literals.collect();
    for (i, literal) in literals.iter().enumerate() {
        let last = i + 1 == literals.len();
        if last && literal.is_empty() {
            pieces.push(rest);
            rest = "";
        } else if last {
            let piece = rest.strip_suffix(literal)?;
            pieces.push(piece);
            rest = "";
        } else {
            let at = rest.find(literal)?;
            pieces.push(&rest[..at]);
            rest = &rest[at + literal.len()..];
        }
    }
    rest.is_empty().then_some(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_types_and_suggestions_are_carried_over() {
        assert_eq!(
            vietnamese("Unknown field \"sttus\" on type \"Dossier\". Did you mean \"status\"?"),
            "Kiểu \"Dossier\" không có trường \"sttus\". Có phải ý bạn là \"status\"?"
        );
        assert_eq!(
            vietnamese("Unknown field \"x\" on type \"Query\"."),
            "Kiểu \"Query\" không có trường \"x\"."
        );
        assert_eq!(
            vietnamese(
                "Field \"dossier\" argument \"id\" of type \"Query\" is required but not provided"
            ),
            "Trường \"dossier\" của kiểu \"Query\" thiếu tham số bắt buộc \"id\""
        );
        assert_eq!(
            vietnamese("Variable \"$v\" is not used by operation \"Q\""),
            "Biến \"$v\" không được dùng trong thao tác \"Q\""
        );
        assert_eq!(
            vietnamese("Variable \"$v\" is not used"),
            "Biến \"$v\" không được dùng"
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_is_named_with_its_type() {
        assert_eq!(
            vietnamese("Invalid value for argument \"groupBy\", enumeration type \"StatisticsGroup\" does not contain the value \"WEEKDAY\""),
            "Giá trị của \"groupBy\" không hợp lệ: kiểu liệt kê \"StatisticsGroup\" không có giá trị \"WEEKDAY\""
        );
        assert_eq!(
            vietnamese("Invalid value for argument \"first\", expected type \"Int\""),
            "Giá trị của \"first\" không hợp lệ: cần kiểu \"Int\""
        );
    }

    #[test]
    fn a_syntax_error_and_an_unknown_message_keep_their_detail() {
        let syntax = " --> 1:3\n  |\n1 | { \n  |   ^---\n  |\n  = expected selection";
        assert!(vietnamese(syntax).starts_with("Truy vấn sai cú pháp:\n --> 1:3"));
        assert_eq!(
            vietnamese("Something new"),
            "Truy vấn không hợp lệ: Something new"
        );
    }

    #[test]
    fn every_pattern_reads_back_its_own_pieces() {
        for (pattern, vi) in TABLE {
            let n = pattern.matches("{}").count();
            let filled = (0..n).fold((*pattern).to_owned(), |s, i| {
                s.replacen("{}", &format!("P{i}"), 1)
            });
            let pieces = matches(pattern, &filled).unwrap_or_else(|| panic!("{pattern}"));
            assert_eq!(pieces.len(), n, "{pattern}");
            for i in 0..n {
                assert!(vi.contains(&format!("{{{i}}}")), "{vi} lacks piece {i}");
            }
        }
    }
}
