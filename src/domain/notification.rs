//! Notifications to citizens: the Vietnamese templates, the channels, and
//! how often a failed delivery is tried again.

use chrono::Duration;

use super::lifecycle::{Channel as DossierChannel, DossierAction};

labelled_enum! {
    /// What a notification says.
    pub enum Template {
        Submitted => ("SUBMITTED", "Đã nộp hồ sơ", "Dossier submitted"),
        SupplementRequested => ("SUPPLEMENT_REQUESTED", "Yêu cầu bổ sung hồ sơ", "Supplement requested"),
        Received => ("RECEIVED", "Đã tiếp nhận hồ sơ", "Dossier received"),
        Paused => ("PAUSED", "Tạm dừng giải quyết", "Processing paused"),
        Apology => ("APOLOGY", "Thư xin lỗi, hẹn lại ngày trả", "Apology with a new date"),
        ResultReady => ("RESULT_READY", "Đã có kết quả", "Result ready"),
        Returned => ("RETURNED", "Đã trả kết quả", "Result returned"),
        Refused => ("REFUSED", "Từ chối tiếp nhận", "Dossier refused"),
        NotEligible => ("NOT_ELIGIBLE", "Không đủ điều kiện giải quyết", "Not eligible"),
        Stopped => ("STOPPED", "Dừng giải quyết", "Processing stopped"),
        PaymentReceived => ("PAYMENT_RECEIVED", "Đã nhận phí, lệ phí", "Payment received"),
        FeedbackAnswered => ("FEEDBACK_ANSWERED", "Phản ánh, kiến nghị đã được trả lời", "Feedback answered"),
    }
}

labelled_enum! {
    /// Where a notification goes besides the account's inbox.
    pub enum Channel {
        Email => ("EMAIL", "Thư điện tử", "E-mail"),
        Sms => ("SMS", "Tin nhắn SMS", "SMS"),
    }
}

labelled_enum! {
    /// Where one delivery stands.
    pub enum DeliveryStatus {
        Pending => ("PENDING", "Đang chờ gửi", "Pending"),
        Sent => ("SENT", "Đã gửi", "Sent"),
        Failed => ("FAILED", "Gửi không thành công", "Failed"),
    }
}

/// What a template may mention; dates already written in the province's
/// time (dd/mm/yyyy HH:MM).
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub applicant: String,
    pub procedure: String,
    /// The dossier's code once received.
    pub code: Option<String>,
    pub due: Option<String>,
    pub reason: Option<String>,
    pub amount_vnd: Option<i64>,
    pub receipt_number: Option<String>,
    pub tracking_number: Option<String>,
    pub title: Option<String>,
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub subject: String,
    pub body: String,
}

/// Amounts as written in Vietnam: 150.000 đồng.
pub fn vnd(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if amount < 0 {
        out.insert(0, '-');
    }
    format!("{out} đồng")
}

impl Template {
    pub fn render(self, f: &Facts) -> Message {
        let dossier = match &f.code {
            Some(code) => format!("hồ sơ {code} ({})", f.procedure),
            None => format!("hồ sơ «{}»", f.procedure),
        };
        let reason = f
            .reason
            .as_deref()
            .map(|r| format!(" Lý do: {r}."))
            .unwrap_or_default();
        let due = f.due.as_deref().unwrap_or("—");
        let (subject, line) = match self {
            Template::Submitted => (
                "Đã nộp hồ sơ".to_owned(),
                format!("Hệ thống đã nhận {dossier} của Ông/Bà và chuyển đến Bộ phận Một cửa để tiếp nhận."),
            ),
            Template::SupplementRequested => (
                "Yêu cầu bổ sung hồ sơ".to_owned(),
                format!("Cơ quan giải quyết đề nghị Ông/Bà bổ sung, hoàn thiện {dossier}.{reason} Vui lòng đăng nhập Cổng Dịch vụ công để bổ sung."),
            ),
            Template::Received => (
                format!("Đã tiếp nhận hồ sơ {}", f.code.as_deref().unwrap_or_default()),
                format!("{} đã được tiếp nhận. Ngày hẹn trả kết quả: {due}.", capitalise(&dossier)),
            ),
            Template::Paused => (
                "Tạm dừng giải quyết hồ sơ".to_owned(),
                format!("Việc giải quyết {dossier} tạm dừng.{reason} Thời gian tạm dừng không tính vào thời hạn giải quyết."),
            ),
            Template::Apology => (
                "Thư xin lỗi và hẹn lại ngày trả kết quả".to_owned(),
                format!("Cơ quan giải quyết xin lỗi Ông/Bà vì {dossier} chưa giải quyết xong đúng hẹn.{reason} Ngày hẹn trả kết quả mới: {due}."),
            ),
            Template::ResultReady => (
                "Hồ sơ đã có kết quả".to_owned(),
                format!("{} đã có kết quả. Ông/Bà vui lòng nhận kết quả theo hình thức đã đăng ký.", capitalise(&dossier)),
            ),
            Template::Returned => (
                "Đã trả kết quả".to_owned(),
                match &f.tracking_number {
                    Some(t) => format!("Kết quả của {dossier} đã được gửi qua bưu chính công ích, số vận đơn {t}."),
                    None => format!("Kết quả của {dossier} đã được trả. Bản điện tử của kết quả được lưu vào Kho dữ liệu của Ông/Bà (nếu có)."),
                },
            ),
            Template::Refused => (
                "Từ chối tiếp nhận hồ sơ".to_owned(),
                format!("{} không được tiếp nhận.{reason}", capitalise(&dossier)),
            ),
            Template::NotEligible => (
                "Hồ sơ không đủ điều kiện giải quyết".to_owned(),
                format!("{} không đủ điều kiện giải quyết.{reason} Phí, lệ phí đã nộp (nếu có) sẽ được hoàn trả.", capitalise(&dossier)),
            ),
            Template::Stopped => (
                "Dừng giải quyết hồ sơ".to_owned(),
                format!("Việc giải quyết {dossier} đã dừng.{reason}"),
            ),
            Template::PaymentReceived => (
                "Đã nhận phí, lệ phí".to_owned(),
                format!(
                    "Đã nhận {} phí, lệ phí của {dossier}. Số biên lai: {}.",
                    f.amount_vnd.map(vnd).unwrap_or_default(),
                    f.receipt_number.as_deref().unwrap_or("—"),
                ),
            ),
            Template::FeedbackAnswered => (
                "Phản ánh, kiến nghị đã được trả lời".to_owned(),
                format!(
                    "Phản ánh, kiến nghị «{}» của Ông/Bà đã được trả lời. Vui lòng đăng nhập Cổng Dịch vụ công để xem nội dung trả lời.",
                    f.title.as_deref().unwrap_or_default()
                ),
            ),
        };
        Message {
            subject: format!("[Dịch vụ công] {subject}"),
            body: format!(
                "Kính gửi Ông/Bà {},\n\n{line}\n\nĐây là thư tự động, vui lòng không trả lời.",
                f.applicant
            ),
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The message a dossier transition sends its applicant, if any, by the
/// action and the channel the dossier came in by.
pub fn for_transition(action: DossierAction, channel: DossierChannel) -> Option<Template> {
    use DossierAction as A;
    Some(match action {
        // At the counter the officer registers and receives at once: the
        // reception is the message.
        A::Submit if channel == DossierChannel::Direct => return None,
        A::Submit => Template::Submitted,
        A::RequestSupplement => Template::SupplementRequested,
        A::Receive => Template::Received,
        A::Pause => Template::Paused,
        A::IssueApology => Template::Apology,
        A::Approve => Template::ResultReady,
        A::ReturnResult => Template::Returned,
        A::Refuse => Template::Refused,
        A::DeclareNotEligible => Template::NotEligible,
        A::Stop => Template::Stopped,
        _ => return None,
    })
}

/// Attempts before a delivery is given up as FAILED.
pub const MAX_ATTEMPTS: i32 = 10;

/// How long to wait after the `attempts`-th failure: 30 s, doubling, at
/// most an hour (ten attempts span about four hours).
pub fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 16) - 1;
    Duration::seconds((30_i64 << exp).min(3_600))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            applicant: "Nguyễn Văn An".into(),
            procedure: "Cấp giấy phép xây dựng".into(),
            code: Some("STP-261130-0001".into()),
            due: Some("03/12/2026 09:00".into()),
            reason: Some("Thiếu bản vẽ".into()),
            amount_vnd: Some(150_000),
            receipt_number: Some("BL-00000001".into()),
            tracking_number: None,
            title: Some("Chậm trả kết quả".into()),
        }
    }

    #[test]
    fn a_counter_submission_sends_nothing_but_an_online_one_does() {
        use DossierAction as A;
        assert_eq!(for_transition(A::Submit, DossierChannel::Direct), None);
        assert_eq!(
            for_transition(A::Submit, DossierChannel::Online),
            Some(Template::Submitted)
        );
        assert_eq!(
            for_transition(A::Receive, DossierChannel::Direct),
            Some(Template::Received)
        );
    }

    #[test]
    fn every_outcome_the_applicant_waits_for_has_a_message() {
        use DossierAction as A;
        let expected = [
            (A::RequestSupplement, Template::SupplementRequested),
            (A::Pause, Template::Paused),
            (A::IssueApology, Template::Apology),
            (A::Approve, Template::ResultReady),
            (A::ReturnResult, Template::Returned),
            (A::Refuse, Template::Refused),
            (A::DeclareNotEligible, Template::NotEligible),
            (A::Stop, Template::Stopped),
        ];
        for (action, template) in expected {
            assert_eq!(
                for_transition(action, DossierChannel::Online),
                Some(template),
                "{action:?}"
            );
        }
    }

    #[test]
    fn received_names_the_code_and_the_due_date() {
        let m = Template::Received.render(&facts());
        assert_eq!(
            m.subject,
            "[Dịch vụ công] Đã tiếp nhận hồ sơ STP-261130-0001"
        );
        assert!(m.body.starts_with("Kính gửi Ông/Bà Nguyễn Văn An,"));
        assert!(m
            .body
            .contains("Hồ sơ STP-261130-0001 (Cấp giấy phép xây dựng) đã được tiếp nhận. Ngày hẹn trả kết quả: 03/12/2026 09:00."));
    }

    #[test]
    fn every_template_renders_its_facts() {
        let f = facts();
        for t in Template::ALL {
            let m = t.render(&f);
            assert!(m.subject.starts_with("[Dịch vụ công] "), "{t:?}");
            assert!(m.body.contains("Nguyễn Văn An"), "{t:?}");
        }
        assert!(Template::SupplementRequested
            .render(&f)
            .body
            .contains("Lý do: Thiếu bản vẽ."));
        assert!(Template::Apology
            .render(&f)
            .body
            .contains("Ngày hẹn trả kết quả mới: 03/12/2026 09:00."));
        assert!(Template::PaymentReceived
            .render(&f)
            .body
            .contains("Đã nhận 150.000 đồng phí, lệ phí"));
        assert!(Template::FeedbackAnswered
            .render(&f)
            .body
            .contains("«Chậm trả kết quả»"));
    }

    #[test]
    fn amounts_are_grouped_by_thousands() {
        assert_eq!(vnd(0), "0 đồng");
        assert_eq!(vnd(500), "500 đồng");
        assert_eq!(vnd(1_000), "1.000 đồng");
        assert_eq!(vnd(1_234_567), "1.234.567 đồng");
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(backoff(1), Duration::seconds(30));
        assert_eq!(backoff(2), Duration::seconds(60));
        assert_eq!(backoff(3), Duration::seconds(120));
        assert_eq!(backoff(7), Duration::seconds(1_920));
        assert_eq!(backoff(8), Duration::seconds(3_600));
        assert_eq!(backoff(40), Duration::seconds(3_600));
    }
}
