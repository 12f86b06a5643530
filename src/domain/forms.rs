//! The printable forms of Circular 03/2025/TT-VPCP (Decree 118/2025/NĐ-CP's
//! one-stop mechanism): which form is which, and what each says about a
//! dossier, as a page of text blocks any renderer can draw. Pure: the
//! facts come in, the page goes out; `http::forms` draws it as PDF.

use chrono::{DateTime, Utc};

use super::control_sheet::Row;
use super::transition::SupplementItem;

/// One of the six forms (Circular 03/2025/TT-VPCP, Mẫu số 01–06).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Mẫu số 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả.
    Receipt,
    /// Mẫu số 02: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ.
    SupplementRequest,
    /// Mẫu số 03: Phiếu từ chối tiếp nhận giải quyết hồ sơ.
    Refusal,
    /// Mẫu số 04: Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết.
    Apology,
    /// Mẫu số 05: Thông báo dừng giải quyết hồ sơ.
    StopNotice,
    /// Mẫu số 06: Phiếu kiểm soát quá trình giải quyết hồ sơ.
    ControlSheet,
}

impl Form {
    /// Every form, in the circular's order.
    pub const ALL: [Form; 6] = [
        Form::Receipt,
        Form::SupplementRequest,
        Form::Refusal,
        Form::Apology,
        Form::StopNotice,
        Form::ControlSheet,
    ];

    /// `"01"` … `"06"`, the form's number in the circular (and in the URL).
    pub fn number(self) -> &'static str {
        match self {
            Form::Receipt => "01",
            Form::SupplementRequest => "02",
            Form::Refusal => "03",
            Form::Apology => "04",
            Form::StopNotice => "05",
            Form::ControlSheet => "06",
        }
    }

    /// The form by its number, `"01"` … `"06"`; `None` for anything else.
    pub fn parse(number: &str) -> Option<Form> {
        Form::ALL.into_iter().find(|f| f.number() == number)
    }

    /// The form's title, as the circular writes it (upper case).
    pub fn title(self) -> &'static str {
        match self {
            Form::Receipt => "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
            Form::SupplementRequest => "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
            Form::Refusal => "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
            Form::Apology => "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT HỒ SƠ",
            Form::StopNotice => "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ",
            Form::ControlSheet => "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
        }
    }
}

/// What every form says about its dossier.
#[derive(Debug, Clone)]
pub struct Facts {
    /// Mã hồ sơ; `None` before reception (forms 02 and 03 of an online
    /// dossier are issued before it gets one).
    pub code: Option<String>,
    pub procedure_name: String,
    pub applicant_name: String,
    pub applicant_address: Option<String>,
    pub applicant_phone: Option<String>,
    /// The agency above the issuing one (cơ quan chủ quản), if any.
    pub parent_agency_name: Option<String>,
    /// The agency issuing the form (the receiving one; the settling one for
    /// forms 04 and 05).
    pub agency_name: String,
    /// The public base URL; with the code, the tracking link printed under
    /// its QR code.
    pub public_url: String,
}

/// The facts only one form has, read from the dossier's history.
#[derive(Debug, Clone)]
pub enum Details {
    /// Form 01: when received, the appointment and the components handed in.
    Receipt {
        received_at: DateTime<Utc>,
        due_at: DateTime<Utc>,
        components: Vec<String>,
    },
    /// Form 02: every missing item with its reason, asked at once.
    SupplementRequest {
        at: DateTime<Utc>,
        items: Vec<SupplementItem>,
    },
    /// Form 03: the refusal's reason.
    Refusal { at: DateTime<Utc>, reason: String },
    /// Form 04: why the dossier is late and the new appointment.
    Apology {
        at: DateTime<Utc>,
        reason: String,
        previous_due_at: Option<DateTime<Utc>>,
        new_due_at: Option<DateTime<Utc>>,
    },
    /// Form 05: why processing stopped.
    StopNotice { at: DateTime<Utc>, reason: String },
    /// Form 06: each internal step against its share of the time.
    ControlSheet { rows: Vec<Row> },
}

impl Details {
    /// The form these details fill.
    pub fn form(&self) -> Form {
        match self {
            Details::Receipt { .. } => Form::Receipt,
            Details::SupplementRequest { .. } => Form::SupplementRequest,
            Details::Refusal { .. } => Form::Refusal,
            Details::Apology { .. } => Form::Apology,
            Details::StopNotice { .. } => Form::StopNotice,
            Details::ControlSheet { .. } => Form::ControlSheet,
        }
    }
}

/// One block of a page, top to bottom.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// Centred bold text (the title).
    Title(String),
    /// Centred text (the form number, a subtitle).
    Centred(String),
    /// A paragraph, wrapped to the page.
    Text(String),
    /// `label: value`, the label bold.
    Field { label: String, value: String },
    /// A numbered list item.
    Item(String),
    /// A table: the header row first; every row has the header's width.
    Table {
        widths: Vec<f32>,
        rows: Vec<Vec<String>>,
    },
}

/// A composed page: the header's two columns, then the blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The dossier's code (for the file's name), once it has one.
    pub code: Option<String>,
    /// Left column: the agency above (upper case), then the issuing one.
    pub issuer: Vec<String>,
    /// Where and when it was issued: "…, ngày 01 tháng 12 năm 2026".
    pub dated: String,
    pub blocks: Vec<Block>,
    /// Printed under the QR code, which encodes it; `None` without a code
    /// (nothing to track by yet).
    pub tracking_url: Option<String>,
}

/// `dd/mm/yyyy HH:MM` in the province's zone, as notifications write it.
pub fn local(at: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    at.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string()
}

/// "ngày 01 tháng 12 năm 2026", the date line of an administrative text.
fn date_line(at: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    at.with_timezone(&tz)
        .format("ngày %d tháng %m năm %Y")
        .to_string()
}

/// The page of a form: header, title, the dossier's facts and the form's
/// own (Circular 03/2025/TT-VPCP, Mẫu số 01–06). `now` dates forms that
/// have no event of their own (01 is dated at reception, 06 when printed).
pub fn compose(facts: &Facts, details: &Details, now: DateTime<Utc>, tz: chrono_tz::Tz) -> Page {
    let form = details.form();
    let t = |at| local(at, tz);
    let field = |label: &str, value: String| Block::Field {
        label: label.into(),
        value,
    };
    let issued = match details {
        Details::Receipt { received_at, .. } => *received_at,
        Details::SupplementRequest { at, .. }
        | Details::Refusal { at, .. }
        | Details::Apology { at, .. }
        | Details::StopNotice { at, .. } => *at,
        Details::ControlSheet { .. } => now,
    };
    let mut blocks = vec![
        Block::Centred(format!("Mẫu số {}", form.number())),
        Block::Title(form.title().into()),
        field(
            "Mã hồ sơ",
            facts
                .code
                .clone()
                .unwrap_or_else(|| "chưa cấp (hồ sơ chưa được tiếp nhận)".into()),
        ),
        field("Thủ tục", facts.procedure_name.clone()),
        field("Người nộp hồ sơ", facts.applicant_name.clone()),
    ];
    if let Some(a) = &facts.applicant_address {
        blocks.push(field("Địa chỉ", a.clone()));
    }
    if let Some(p) = &facts.applicant_phone {
        blocks.push(field("Số điện thoại", p.clone()));
    }
    match details {
        Details::Receipt {
            received_at,
            due_at,
            components,
        } => {
            blocks.push(field("Thời gian tiếp nhận", t(*received_at)));
            blocks.push(Block::Text("Thành phần hồ sơ đã nhận:".into()));
            blocks.extend(components.iter().cloned().map(Block::Item));
            blocks.push(field("Ngày hẹn trả kết quả", t(*due_at)));
        }
        Details::SupplementRequest { items, .. } => {
            blocks.push(Block::Text(
                "Hồ sơ cần bổ sung, hoàn thiện những nội dung sau (hướng dẫn một lần):".into(),
            ));
            blocks.extend(
                items
                    .iter()
                    .map(|i| Block::Item(format!("{}: {}", i.component, i.reason))),
            );
        }
        Details::Refusal { reason, .. } => {
            blocks.push(Block::Text(
                "Cơ quan từ chối tiếp nhận giải quyết hồ sơ vì lý do sau:".into(),
            ));
            blocks.push(field("Lý do", reason.clone()));
        }
        Details::Apology {
            reason,
            previous_due_at,
            new_due_at,
            ..
        } => {
            blocks.push(Block::Text(
                "Cơ quan xin lỗi ông/bà vì hồ sơ chưa được giải quyết đúng hạn và đề nghị gia hạn thời gian giải quyết."
                    .into(),
            ));
            blocks.push(field("Lý do", reason.clone()));
            if let Some(d) = previous_due_at {
                blocks.push(field("Ngày hẹn trước đây", t(*d)));
            }
            if let Some(d) = new_due_at {
                blocks.push(field("Ngày hẹn trả kết quả mới", t(*d)));
            }
        }
        Details::StopNotice { reason, .. } => {
            blocks.push(Block::Text(
                "Cơ quan dừng giải quyết hồ sơ vì lý do sau:".into(),
            ));
            blocks.push(field("Lý do", reason.clone()));
        }
        Details::ControlSheet { rows } => {
            let mut table = vec![vec![
                "Bước".to_string(),
                "Bộ phận / người thực hiện".into(),
                "Giờ làm việc".into(),
                "Bắt đầu".into(),
                "Hạn".into(),
                "Hoàn thành".into(),
                "Kết quả".into(),
            ]];
            let opt = |at: Option<DateTime<Utc>>| at.map(t).unwrap_or_default();
            table.extend(rows.iter().map(|r| {
                vec![
                    r.steps.join("; "),
                    r.role.label_vi().into(),
                    format!("{}", r.allotted_seconds as f64 / 3600.0),
                    opt(r.started_at),
                    opt(r.due_at),
                    opt(r.finished_at),
                    r.timeliness
                        .map(|x| x.label_vi().to_string())
                        .unwrap_or_default(),
                ]
            }));
            blocks.push(Block::Table {
                widths: vec![0.26, 0.16, 0.08, 0.13, 0.13, 0.13, 0.11],
                rows: table,
            });
        }
    }
    let tracking_url = facts
        .code
        .as_deref()
        .map(|code| tracking_url(&facts.public_url, code));
    if tracking_url.is_some() {
        blocks.push(Block::Text(
            "Tra cứu tình trạng hồ sơ bằng mã QR hoặc tại địa chỉ:".into(),
        ));
    }
    let mut issuer = Vec::new();
    if let Some(p) = &facts.parent_agency_name {
        issuer.push(p.to_uppercase());
    }
    issuer.push(facts.agency_name.to_uppercase());
    Page {
        code: facts.code.clone(),
        issuer,
        dated: date_line(issued, tz),
        blocks,
        tracking_url,
    }
}

/// The public tracking link of a dossier: `{base}/tra-cuu?ma={code}`, the
/// code percent-encoded.
pub fn tracking_url(base: &str, code: &str) -> String {
    // A code's dots and dashes stay as they are (RFC 3986 unreserved).
    const QUERY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'.')
        .remove(b'-')
        .remove(b'_')
        .remove(b'~');
    let code = percent_encoding::utf8_percent_encode(code, QUERY).to_string();
    format!("{}/tra-cuu?ma={code}", base.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn facts() -> Facts {
        Facts {
            code: Some("000.00.12.H56-261201-0001".into()),
            procedure_name: "Cấp giấy phép xây dựng".into(),
            applicant_name: "Nguyễn Văn An".into(),
            applicant_address: None,
            applicant_phone: Some("0905123456".into()),
            parent_agency_name: Some("Ủy ban nhân dân tỉnh Quảng Ngãi".into()),
            agency_name: "Trung tâm Phục vụ hành chính công tỉnh Quảng Ngãi".into(),
            public_url: "https://dichvucong.example".into(),
        }
    }

    #[test]
    fn forms_parse_from_their_numbers_only() {
        for f in Form::ALL {
            assert_eq!(Form::parse(f.number()), Some(f));
        }
        assert_eq!(Form::parse("07"), None);
        assert_eq!(Form::parse("1"), None);
    }

    #[test]
    fn a_receipt_is_dated_and_timed_in_the_provinces_zone() {
        let received = Utc.with_ymd_and_hms(2026, 12, 1, 17, 30, 0).unwrap();
        let due = Utc.with_ymd_and_hms(2026, 12, 8, 9, 0, 0).unwrap();
        let details = Details::Receipt {
            received_at: received,
            due_at: due,
            components: vec!["Đơn đề nghị".into()],
        };
        let page = compose(&facts(), &details, due, chrono_tz::Asia::Ho_Chi_Minh);
        // 17:30 UTC is 00:30 the next day in Vietnam.
        assert_eq!(page.dated, "ngày 02 tháng 12 năm 2026");
        assert!(page.blocks.contains(&Block::Field {
            label: "Ngày hẹn trả kết quả".into(),
            value: "08/12/2026 16:00".into()
        }));
        assert!(page.blocks.contains(&Block::Item("Đơn đề nghị".into())));
        assert_eq!(page.issuer[0], "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI");
        assert_eq!(
            page.tracking_url.as_deref(),
            Some("https://dichvucong.example/tra-cuu?ma=000.00.12.H56-261201-0001")
        );
    }

    #[test]
    fn a_refusal_before_reception_has_no_code_and_nothing_to_track() {
        let facts = Facts {
            code: None,
            ..facts()
        };
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap();
        let details = Details::Refusal {
            at,
            reason: "Không thuộc thẩm quyền".into(),
        };
        let page = compose(&facts, &details, at, chrono_tz::Asia::Ho_Chi_Minh);
        assert_eq!(page.tracking_url, None);
        assert!(page.blocks.contains(&Block::Field {
            label: "Lý do".into(),
            value: "Không thuộc thẩm quyền".into()
        }));
    }

    #[test]
    fn the_tracking_link_encodes_the_code() {
        assert_eq!(
            tracking_url("https://a.vn/", "H56 1/2"),
            "https://a.vn/tra-cuu?ma=H56%201%2F2"
        );
    }
}
