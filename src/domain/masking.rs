//! Masking personal data for readers who may see that a value exists but
//! not the value: public feedback, postal staff, delivery logs.

/// Keeps the last `keep` characters: "0905123456" → "*******456".
pub fn mask_tail(s: &str, keep: usize) -> String {
    let n = s.chars().count();
    s.chars()
        .enumerate()
        .map(|(i, c)| if i + keep < n { '*' } else { c })
        .collect()
}

/// "an.nguyen@x.vn" → "a***@x.vn".
pub fn mask_email(s: &str) -> String {
    match s.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
        None => mask_tail(s, 0),
    }
}

/// "Nguyễn Văn An" → "Nguyễn V** A*": the family name, then each other
/// word's first letter.
pub fn mask_name(name: &str) -> String {
    let mut words = name.split_whitespace();
    let mut out = words.next().unwrap_or_default().to_owned();
    for w in words {
        let mut chars = w.chars();
        if let Some(first) = chars.next() {
            out.push(' ');
            out.push(first);
            out.extend(chars.map(|_| '*'));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_masked_after_the_family_name() {
        assert_eq!(mask_name("Nguyễn Văn An"), "Nguyễn V** A*");
        assert_eq!(mask_name("Lê"), "Lê");
        assert_eq!(mask_name("Trần  Thị   Bình"), "Trần T** B***");
    }

    #[test]
    fn numbers_and_addresses_are_masked() {
        assert_eq!(mask_tail("0905123456", 3), "*******456");
        assert_eq!(mask_tail("12", 3), "12");
        assert_eq!(mask_email("an.nguyen@x.vn"), "a***@x.vn");
        assert_eq!(mask_email("no-at-sign"), "**********");
    }
}
