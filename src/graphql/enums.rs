//! GraphQL enums mirroring the domain's labelled enums (`remote` derives the
//! conversions both ways), and the `EnumLabel` object.

use async_graphql::{Enum, SimpleObject};

use crate::domain;

/// Cấp hành chính.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::catalogue::AgencyLevel")]
pub enum AgencyLevel {
    /// Cấp tỉnh
    Province,
    /// Cấp huyện (trước 01/7/2025)
    District,
    /// Cấp xã
    Commune,
}

/// Loại cơ quan.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::catalogue::AgencyKind")]
pub enum AgencyKind {
    /// Ủy ban nhân dân
    PeoplesCommittee,
    /// Sở, ban, ngành
    Department,
    /// Phòng chuyên môn
    SpecialistDivision,
    /// Bộ phận Một cửa
    OneStopUnit,
    /// Cơ quan ngành dọc
    VerticalAgency,
    /// Khác
    Other,
}

/// Trạng thái thủ tục.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::catalogue::ProcedureStatus")]
pub enum ProcedureStatus {
    /// Đang áp dụng
    Active,
    /// Tạm ngưng
    Suspended,
    /// Đã bãi bỏ
    Abolished,
}

/// Mức độ dịch vụ công trực tuyến.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::catalogue::OnlineServiceLevel")]
pub enum OnlineServiceLevel {
    /// Toàn trình
    Full,
    /// Một phần
    Partial,
    /// Không hỗ trợ trực tuyến
    None,
}

/// Đơn vị thời hạn giải quyết.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::catalogue::ProcessingUnit")]
pub enum ProcessingUnit {
    /// Ngày làm việc
    WorkingDays,
    /// Giờ làm việc
    WorkingHours,
}

/// Cách thức thực hiện.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::catalogue::SubmissionMethod")]
pub enum SubmissionMethod {
    /// Trực tiếp
    Direct,
    /// Trực tuyến
    Online,
    /// Dịch vụ bưu chính
    Postal,
}

/// Vai trò.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::authz::Role")]
pub enum Role {
    /// Công dân, tổ chức
    Citizen,
    /// Nhân viên bưu chính
    PostalStaff,
    /// Cán bộ một cửa
    ReceptionOfficer,
    /// Chuyên viên xử lý
    Specialist,
    /// Lãnh đạo cơ quan
    AgencyLeader,
    /// Cán bộ đầu mối kiểm soát TTHC
    TthcController,
    /// Văn phòng UBND tỉnh
    ProvinceSupervisor,
    /// Người phân tích số liệu
    Analyst,
    /// Quản trị hệ thống
    Admin,
}

/// Loại tài khoản.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::authz::AccountKind")]
pub enum AccountKind {
    /// Công dân
    Citizen,
    /// Tổ chức, doanh nghiệp
    Organisation,
    /// Cán bộ, công chức
    Official,
}

/// One value of an enumeration with its Vietnamese and English labels.
#[derive(SimpleObject)]
pub struct EnumLabel {
    /// The enumeration, e.g. `AgencyLevel`.
    pub enum_name: &'static str,
    /// The value as the API sends it, e.g. `PROVINCE`.
    pub value: &'static str,
    /// Nhãn tiếng Việt.
    pub vi: &'static str,
    pub en: &'static str,
}

impl From<domain::EnumLabel> for EnumLabel {
    fn from(l: domain::EnumLabel) -> Self {
        EnumLabel {
            enum_name: l.enum_name,
            value: l.value,
            vi: l.vi,
            en: l.en,
        }
    }
}

/// Every labelled enumeration's values.
pub fn all_labels() -> Vec<EnumLabel> {
    use domain::authz::{AccountKind, Role};
    use domain::calendar::{DayKind, Timeliness};
    use domain::catalogue::*;
    use domain::documents::{AttachmentKind, DocumentSource};
    use domain::evaluation::{Indicator, IndicatorGroup};
    use domain::feedback::{FeedbackAction, FeedbackChannel, FeedbackKind, FeedbackStatus};
    use domain::lifecycle::{
        Channel, DossierAction, DossierStatus, PauseKind, ReturnMethod, TaskKind,
    };
    use domain::notification::{Channel as NotificationChannel, DeliveryStatus, Template};
    use domain::payment::{FeeStatus, PaymentDue, PaymentMethod, PaymentStatus};
    use domain::rating::{RatingCriterion, RatingLevel};
    [
        PaymentMethod::labels(),
        PaymentStatus::labels(),
        FeeStatus::labels(),
        PaymentDue::labels(),
        DocumentSource::labels(),
        AttachmentKind::labels(),
        Template::labels(),
        NotificationChannel::labels(),
        DeliveryStatus::labels(),
        FeedbackKind::labels(),
        FeedbackChannel::labels(),
        FeedbackStatus::labels(),
        FeedbackAction::labels(),
        IndicatorGroup::labels(),
        Indicator::labels(),
        RatingLevel::labels(),
        RatingCriterion::labels(),
        DossierStatus::labels(),
        Channel::labels(),
        PauseKind::labels(),
        ReturnMethod::labels(),
        DossierAction::labels(),
        TaskKind::labels(),
        DayKind::labels(),
        Timeliness::labels(),
        AgencyLevel::labels(),
        AgencyKind::labels(),
        ProcedureStatus::labels(),
        OnlineServiceLevel::labels(),
        ProcessingUnit::labels(),
        SubmissionMethod::labels(),
        Role::labels(),
        AccountKind::labels(),
    ]
    .into_iter()
    .flatten()
    .map(EnumLabel::from)
    .collect()
}

/// Loại ngày ngoại lệ.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::calendar::DayKind")]
pub enum DayKind {
    /// Ngày nghỉ lễ, tết
    Holiday,
    /// Ngày làm bù
    Workday,
}

/// Trước hạn / đúng hạn / quá hạn.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::calendar::Timeliness")]
pub enum Timeliness {
    /// Trước hạn
    Early,
    /// Đúng hạn
    OnTime,
    /// Quá hạn
    Late,
}

/// Trạng thái hồ sơ.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::lifecycle::DossierStatus")]
pub enum DossierStatus {
    /// Chưa nộp
    Draft,
    /// Chờ tiếp nhận
    Submitted,
    /// Yêu cầu bổ sung
    NeedsSupplement,
    /// Đã tiếp nhận
    Received,
    /// Từ chối tiếp nhận
    Refused,
    /// Đang xử lý
    Processing,
    /// Tạm dừng
    Paused,
    /// Chờ phê duyệt
    AwaitingApproval,
    /// Có kết quả, chờ trả
    ResultReady,
    /// Không đủ điều kiện
    NotEligible,
    /// Dừng giải quyết
    Stopped,
    /// Đã trả kết quả
    Returned,
    /// Đã rút
    Withdrawn,
}

/// Kênh nộp hồ sơ.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::lifecycle::Channel")]
pub enum Channel {
    /// Trực tuyến (mã 2)
    Online,
    /// Trực tiếp (mã 1)
    Direct,
    /// Qua bưu chính (mã 3)
    Postal,
}

/// Lý do tạm dừng.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::lifecycle::PauseKind")]
pub enum PauseKind {
    /// Chờ bổ sung hồ sơ
    Supplement,
    /// Chờ thực hiện nghĩa vụ tài chính
    FinancialObligation,
}

/// Hình thức trả kết quả.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::lifecycle::ReturnMethod")]
pub enum ReturnMethod {
    /// Tại Bộ phận Một cửa
    Counter,
    /// Qua bưu chính
    Post,
    /// Trực tuyến
    Online,
}

/// A step of a dossier's history.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::lifecycle::DossierAction")]
pub enum DossierAction {
    Create,
    Update,
    Submit,
    Receive,
    RequestSupplement,
    Supplement,
    Refuse,
    Transfer,
    AssignHandler,
    Pause,
    Resume,
    SubmitForApproval,
    SendBack,
    Approve,
    DeclareNotEligible,
    Stop,
    IssueApology,
    ReturnResult,
    Withdraw,
    RequestConsultation,
    AnswerConsultation,
    ScheduleVerification,
    AssignInterAgency,
    CompleteInterAgencyTask,
    /// Ghi nhận phát kết quả qua bưu chính
    RecordPostalDelivery,
}

/// Loại phần việc.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::lifecycle::TaskKind")]
pub enum TaskKind {
    /// Xin ý kiến
    Consultation,
    /// Xác minh, thẩm tra
    Verification,
    /// Liên thông
    InterAgency,
}

/// Mức độ hài lòng.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::rating::RatingLevel")]
pub enum RatingLevel {
    /// Rất hài lòng
    VerySatisfied,
    /// Hài lòng
    Satisfied,
    /// Chưa hài lòng
    NotSatisfied,
}

/// Tiêu chí đánh giá.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::rating::RatingCriterion")]
pub enum RatingCriterion {
    /// Việc sử dụng dịch vụ
    ServiceUse,
    /// Thái độ của cán bộ
    StaffAttitude,
    /// Thời gian giải quyết
    ProcessingTime,
}

/// Loại phản ánh, kiến nghị.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::feedback::FeedbackKind")]
pub enum FeedbackKind {
    /// Phản ánh
    Feedback,
    /// Kiến nghị
    Petition,
}

/// Cách thức gửi phản ánh, kiến nghị.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::feedback::FeedbackChannel")]
pub enum FeedbackChannel {
    /// Qua Hệ thống thông tin giải quyết TTHC
    Online,
    /// Thư điện tử
    Email,
    /// Đường dây nóng
    Hotline,
    /// Qua bưu chính
    Post,
    /// Trực tiếp
    InPerson,
}

/// Trạng thái phản ánh, kiến nghị.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::feedback::FeedbackStatus")]
pub enum FeedbackStatus {
    /// Đã tiếp nhận
    Received,
    /// Đang xử lý
    Processing,
    /// Đã trả lời
    Answered,
    /// Đã chuyển cơ quan có thẩm quyền
    Transferred,
    /// Không thuộc phạm vi xử lý
    Rejected,
}

/// Nhóm chỉ số (Quyết định 766/QĐ-TTg).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::evaluation::IndicatorGroup")]
pub enum IndicatorGroup {
    /// Công khai, minh bạch
    Transparency,
    /// Tiến độ giải quyết
    Progress,
    /// Dịch vụ công trực tuyến
    OnlineService,
    /// Thanh toán trực tuyến
    OnlinePayment,
    /// Số hóa hồ sơ
    Digitisation,
    /// Mức độ hài lòng
    Satisfaction,
}

/// Chỉ số đánh giá.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::evaluation::Indicator")]
pub enum Indicator {
    /// Thủ tục công khai đầy đủ thông tin
    PublishedRecords,
    /// Đồng bộ hồ sơ lên Cổng Dịch vụ công quốc gia
    NationalPortalSync,
    /// Hồ sơ giải quyết đúng hạn
    OnTimeSettlement,
    /// Hồ sơ được tiếp nhận trong 08 giờ làm việc
    #[graphql(name = "RECEPTION_WITHIN_8_HOURS")]
    ReceptionWithin8Hours,
    /// Thủ tục cung cấp dịch vụ công trực tuyến
    OnlineProcedures,
    /// Hồ sơ nộp trực tuyến
    OnlineSubmissions,
    /// Hồ sơ thanh toán trực tuyến
    OnlinePayments,
    /// Hồ sơ được số hóa thành phần
    DigitisedDossiers,
    /// Kết quả giải quyết được số hóa
    DigitisedResults,
    /// Tái sử dụng dữ liệu số hóa
    DataReuse,
    /// Đánh giá hài lòng
    SatisfiedRatings,
    /// Phản ánh, kiến nghị được xử lý đúng hạn
    FeedbackOnTime,
}

/// Hình thức nộp phí, lệ phí.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::payment::PaymentMethod")]
pub enum PaymentMethod {
    /// Thanh toán trực tuyến
    OnlineGateway,
    /// Chuyển khoản ngân hàng
    BankTransfer,
    /// Nộp tại Bộ phận Một cửa
    Counter,
    /// Nộp qua bưu chính công ích
    Postal,
}

/// Trạng thái một khoản thanh toán.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::payment::PaymentStatus")]
pub enum PaymentStatus {
    /// Chờ thanh toán
    Pending,
    /// Đã thanh toán
    Paid,
    /// Đã hoàn trả
    Refunded,
}

/// Tình trạng phí, lệ phí của hồ sơ.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::payment::FeeStatus")]
pub enum FeeStatus {
    /// Không thu phí, lệ phí
    NoFee,
    /// Chưa nộp
    Unpaid,
    /// Đã nộp
    Paid,
    /// Đã hoàn trả
    Refunded,
}

/// Bước phải nộp phí, lệ phí trước đó.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::payment::PaymentDue")]
pub enum PaymentDue {
    /// Nộp trước khi tiếp nhận
    BeforeReception,
    /// Nộp trước khi trả kết quả (mặc định khi thủ tục không quy định khác)
    BeforeReturn,
    /// Nộp sau khi trả kết quả, theo thông báo
    AfterReturn,
}

/// Nguồn của giấy tờ trong kho dữ liệu.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::documents::DocumentSource")]
pub enum DocumentSource {
    /// Tự tải lên
    Upload,
    /// Kết quả giải quyết hồ sơ
    Result,
}

/// Loại tệp của hồ sơ.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::documents::AttachmentKind")]
pub enum AttachmentKind {
    /// Thành phần hồ sơ
    Component,
    /// Kết quả giải quyết
    Result,
}

/// Mẫu thông báo.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::notification::Template")]
pub enum NotificationTemplate {
    /// Đã nộp hồ sơ
    Submitted,
    /// Yêu cầu bổ sung hồ sơ
    SupplementRequested,
    /// Đã tiếp nhận hồ sơ
    Received,
    /// Tạm dừng giải quyết
    Paused,
    /// Thư xin lỗi, hẹn lại ngày trả
    Apology,
    /// Đã có kết quả
    ResultReady,
    /// Đã trả kết quả
    Returned,
    /// Từ chối tiếp nhận
    Refused,
    /// Không đủ điều kiện giải quyết
    NotEligible,
    /// Dừng giải quyết
    Stopped,
    /// Đã nhận phí, lệ phí
    PaymentReceived,
    /// Phản ánh, kiến nghị đã được trả lời
    FeedbackAnswered,
}

/// Kênh gửi thông báo.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::notification::Channel")]
pub enum NotificationChannel {
    /// Thư điện tử
    Email,
    /// Tin nhắn SMS
    Sms,
}

/// Trạng thái gửi thông báo.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "domain::notification::DeliveryStatus")]
pub enum DeliveryStatus {
    /// Đang chờ gửi
    Pending,
    /// Đã gửi
    Sent,
    /// Gửi không thành công
    Failed,
}
