//! Notifications to units (the 待办 page, the unread badge, the webhook to SMS or 政务微信).

crate::keyed_enum!(
    /// What a notification tells a unit.
    pub enum NotificationKind, "通知类型" {
        Raised => "raised", "新问题待交办";
        Assigned => "assigned", "交办";
        Assisting => "assisting", "协办";
        Replied => "replied", "反馈进展";
        ClosureRequested => "closure_requested", "申请销号";
        Closed => "closed", "已销号";
        Returned => "returned", "退回";
        ExtensionRequested => "extension_requested", "申请延期";
        ExtensionGranted => "extension_granted", "同意延期";
        ExtensionRefused => "extension_refused", "不同意延期";
        Withdrawn => "withdrawn", "撤销";
        Blue => "blue", "蓝色提醒";
        Yellow => "yellow", "黄色督办函";
        Red => "red", "红色督办函";
        Interview => "interview", "约谈";
        ReportReturned => "report_returned", "月报退回";
        ReportReminder => "report_reminder", "催报";
        AssessmentOpened => "assessment_opened", "考核征求意见";
        AssessmentPublished => "assessment_published", "考核结果通报";
    }
);

impl NotificationKind {
    /// The notice of a supervision step.
    pub fn of_alert(a: crate::problem::Alert) -> NotificationKind {
        match a {
            crate::problem::Alert::Blue => NotificationKind::Blue,
            crate::problem::Alert::Yellow => NotificationKind::Yellow,
            crate::problem::Alert::Red => NotificationKind::Red,
        }
    }
}
