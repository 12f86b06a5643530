//! Which uploaded files a dossier accepts: recognised by their first bytes,
//! not by the name or type the client claims.

labelled_enum! {
    /// An accepted file type.
    pub enum FileType {
        Pdf => ("application/pdf", "Tệp PDF", "PDF document"),
        Png => ("image/png", "Ảnh PNG", "PNG image"),
        Jpeg => ("image/jpeg", "Ảnh JPEG", "JPEG image"),
    }
}

/// The type of a file from its first bytes, if accepted.
pub fn sniff(head: &[u8]) -> Option<FileType> {
    if head.starts_with(b"%PDF-") {
        Some(FileType::Pdf)
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(FileType::Png)
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(FileType::Jpeg)
    } else {
        None
    }
}

/// A file name safe to show and to send back in Content-Disposition: no
/// path, no control characters, bounded.
pub fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    if cleaned.trim().is_empty() {
        "tep-dinh-kem".into()
    } else {
        cleaned.trim().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_known_by_their_first_bytes() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some(FileType::Pdf));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Some(FileType::Png));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(FileType::Jpeg));
        assert_eq!(sniff(b"MZ\x90\0"), None);
        assert_eq!(sniff(b"<html>"), None);
    }

    #[test]
    fn filenames_lose_paths_and_controls() {
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(
            clean_filename("C:\\Users\\an\\Đơn đề nghị.pdf"),
            "Đơn đề nghị.pdf"
        );
        assert_eq!(clean_filename("a\"b\nc.pdf"), "abc.pdf");
        assert_eq!(clean_filename("  "), "tep-dinh-kem");
    }
}
