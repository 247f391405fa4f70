//! 满意度调查 (issue #13): a questionnaire the center hands out on printed slips, answered on a
//! public phone page, whose answers feed the 社会公众满意度 leaf of the self-evaluation.
//!
//! One answer per slip: every slip carries its own link, signed by the survey (see the
//! service), and a slip's serial number can be used once. No personal data is asked or kept.

use crate::ValidationErrors;
use serde::{Deserialize, Serialize};

/// The five-point scale, best first; a reply stores the points (5 … 1).
pub const SCALE: [&str; 5] = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"];

/// Replies at or above this many points count as satisfied (非常满意, 满意, 基本满意): the
/// 满意率 most county reports use.
pub const SATISFIED_FROM: u8 = 3;

pub const MAX_QUESTIONS: usize = 20;
pub const MAX_OPTIONS: usize = 8;
pub const MAX_TEXT_CHARS: usize = 500;
pub const MAX_TITLE_CHARS: usize = 60;
pub const MAX_QUESTION_CHARS: usize = 200;
pub const MAX_OPTION_CHARS: usize = 40;
pub const MAX_INTRO_CHARS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// 非常满意 … 非常不满意.
    Scale,
    Single,
    Multiple,
    Text,
}

impl QuestionKind {
    pub const ALL: [QuestionKind; 4] = [Self::Scale, Self::Single, Self::Multiple, Self::Text];
    pub fn key(self) -> &'static str {
        match self {
            Self::Scale => "scale",
            Self::Single => "single",
            Self::Multiple => "multiple",
            Self::Text => "text",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Scale => "满意度（五级）",
            Self::Single => "单选",
            Self::Multiple => "多选",
            Self::Text => "文字意见",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == s)
    }
    fn has_options(self) -> bool {
        matches!(self, Self::Single | Self::Multiple)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub text: String,
    pub kind: QuestionKind,
    /// The choices of a single or multiple choice question; empty otherwise.
    #[serde(default)]
    pub options: Vec<String>,
}

impl Question {
    /// The choices shown: the scale's five or the question's own.
    pub fn choices(&self) -> Vec<String> {
        match self.kind {
            QuestionKind::Scale => SCALE.iter().map(|s| s.to_string()).collect(),
            _ => self.options.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Questionnaire {
    pub title: String,
    #[serde(default)]
    pub intro: String,
    pub questions: Vec<Question>,
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

impl Questionnaire {
    /// The reference questionnaire: the public's view of how the center did its work.
    pub fn reference(unit: &str) -> Questionnaire {
        let scale = |t: &str| Question {
            text: t.into(),
            kind: QuestionKind::Scale,
            options: vec![],
        };
        Questionnaire {
            title: format!("{unit}履职情况满意度调查问卷"),
            intro: "为了解社会公众和项目业主对本中心履职情况的评价，特开展本次调查。问卷匿名填写，不收集个人信息，感谢您的支持！".into(),
            questions: vec![
                scale("您对中心工作人员服务态度的评价"),
                scale("您对中心办事效率的评价"),
                scale("您对重点项目帮代办服务的评价"),
                scale("您对项目问题协调解决情况的评价"),
                Question {
                    text: "您认为中心最需要改进的方面（可多选）".into(),
                    kind: QuestionKind::Multiple,
                    options: vec![
                        "办事效率".into(),
                        "服务态度".into(),
                        "政策宣传".into(),
                        "问题协调".into(),
                        "信息公开".into(),
                    ],
                },
                Question {
                    text: "您对中心工作的意见和建议".into(),
                    kind: QuestionKind::Text,
                    options: vec![],
                },
            ],
        }
    }

    /// Every problem named at its field (`title`, `q3.text`, `q3.options` …).
    pub fn check(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        e.check(crate::error::no_invisible_controls(
            "questionnaire",
            "问卷",
            self,
        ));
        let title = self.title.trim();
        if title.is_empty() {
            e.add("title", "required", "请填写问卷标题");
        } else if chars(title) > MAX_TITLE_CHARS {
            e.add(
                "title",
                "too_long",
                format!("问卷标题不能超过{MAX_TITLE_CHARS}个字"),
            );
        }
        if chars(&self.intro) > MAX_INTRO_CHARS {
            e.add(
                "intro",
                "too_long",
                format!("问卷说明不能超过{MAX_INTRO_CHARS}个字"),
            );
        }
        if self.questions.is_empty() {
            e.add("questions", "required", "问卷至少要有一道题");
        }
        if self.questions.len() > MAX_QUESTIONS {
            e.add(
                "questions",
                "too_many",
                format!("问卷最多{MAX_QUESTIONS}道题"),
            );
        }
        if !self.questions.iter().any(|q| q.kind == QuestionKind::Scale) {
            e.add(
                "questions",
                "no_scale",
                "问卷至少要有一道满意度（五级）题，满意度由这些题计算",
            );
        }
        for (i, q) in self.questions.iter().enumerate() {
            let n = i + 1;
            let text = q.text.trim();
            if text.is_empty() {
                e.add(
                    &format!("q{n}.text"),
                    "required",
                    format!("第{n}题请填写题目"),
                );
            } else if chars(text) > MAX_QUESTION_CHARS {
                e.add(
                    &format!("q{n}.text"),
                    "too_long",
                    format!("第{n}题题目不能超过{MAX_QUESTION_CHARS}个字"),
                );
            }
            let field = format!("q{n}.options");
            if q.kind.has_options() {
                if q.options.len() < 2 || q.options.len() > MAX_OPTIONS {
                    e.add(
                        &field,
                        "options",
                        format!("第{n}题的选项应为2至{MAX_OPTIONS}个（每行一个）"),
                    );
                }
                let mut seen = std::collections::HashSet::new();
                for o in &q.options {
                    if o.trim().is_empty() || chars(o) > MAX_OPTION_CHARS {
                        e.add(
                            &field,
                            "option",
                            format!("第{n}题的每个选项应为1至{MAX_OPTION_CHARS}个字"),
                        );
                        break;
                    }
                    if !seen.insert(o.trim()) {
                        e.add(&field, "duplicate", format!("第{n}题的选项「{o}」重复"));
                        break;
                    }
                }
            } else if !q.options.is_empty() {
                e.add(
                    &field,
                    "no_options",
                    format!("第{n}题为{}题，不需要选项", q.kind.label()),
                );
            }
        }
        e.into_result()
    }

    /// Reads one answer from the submitted fields (`q1` … with one value each, several for a
    /// multiple choice). Choice questions must be answered; text is optional, bounded and may
    /// not carry links (the usual spam). Refused with the question named.
    pub fn read_answer(
        &self,
        field: impl Fn(&str) -> Vec<String>,
    ) -> Result<Answer, ValidationErrors> {
        let mut e = ValidationErrors::new();
        let mut replies = Vec::with_capacity(self.questions.len());
        for (i, q) in self.questions.iter().enumerate() {
            let n = i + 1;
            let name = format!("q{n}");
            // an empty value is no answer; a choice is its number as written (no "01", "+1")
            let values: Vec<String> = field(&name).into_iter().filter(|v| !v.is_empty()).collect();
            let choices = q.choices().len();
            let index = |v: &str| {
                v.parse::<usize>()
                    .ok()
                    .filter(|i| i.to_string() == v)
                    .filter(|i| (1..=choices).contains(i))
            };
            let reply = match q.kind {
                QuestionKind::Scale | QuestionKind::Single => {
                    match values.first().map(|v| index(v)) {
                        Some(Some(i)) if values.len() == 1 => {
                            Some(if q.kind == QuestionKind::Scale {
                                // choice 1 is 非常满意 (5 points)
                                Reply::Scale(6 - i as u8)
                            } else {
                                Reply::Single(i as u8)
                            })
                        }
                        Some(None) => {
                            e.add(&name, "invalid", format!("第{n}题的选择无效"));
                            None
                        }
                        _ if values.len() > 1 => {
                            e.add(&name, "invalid", format!("第{n}题只能选一项"));
                            None
                        }
                        _ => {
                            e.add(&name, "required", format!("请回答第{n}题"));
                            None
                        }
                    }
                }
                QuestionKind::Multiple => {
                    let mut picked: Vec<u8> = vec![];
                    for v in &values {
                        match index(v) {
                            Some(i) if !picked.contains(&(i as u8)) => picked.push(i as u8),
                            Some(_) => {}
                            None => {
                                e.add(&name, "invalid", format!("第{n}题的选择无效"));
                                break;
                            }
                        }
                    }
                    // none chosen is an answer too (nothing to improve)
                    picked.sort_unstable();
                    Some(Reply::Multiple(picked))
                }
                QuestionKind::Text => {
                    if values.len() > 1 {
                        e.add(&name, "twice", format!("第{n}题只能填写一处"));
                    }
                    let text = values.first().map(|v| v.trim()).unwrap_or("");
                    if chars(text) > MAX_TEXT_CHARS {
                        e.add(
                            &name,
                            "too_long",
                            format!(
                                "第{n}题不能超过{MAX_TEXT_CHARS}个字（现有{}个字）",
                                chars(text)
                            ),
                        );
                    } else if looks_like_spam(text) {
                        e.add(&name, "spam", format!("第{n}题请勿填写网址或链接"));
                    } else if text.chars().any(crate::error::invisible_control) {
                        e.add(
                            &name,
                            "invalid_chars",
                            format!("第{n}题含有不可见的控制字符"),
                        );
                    }
                    Some(Reply::Text(text.to_string()))
                }
            };
            if let Some(r) = reply {
                replies.push(r);
            }
        }
        e.into_result()?;
        Ok(Answer(replies))
    }
}

/// Links are what advertising leaves in a comment box; a citizen's opinion needs none.
fn looks_like_spam(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    [
        "http://", "https://", "www.", ".com", "。com", ".net", ".org", ".cn/", "<a ", "[url",
    ]
    .iter()
    .any(|p| t.contains(p))
}

/// One reply per question, in the questionnaire's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    /// Points 5 (非常满意) … 1 (非常不满意).
    Scale(u8),
    /// The choice, from 1.
    Single(u8),
    Multiple(Vec<u8>),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer(pub Vec<Reply>);

/// The answers counted: per question, how many chose each choice, and the texts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub answers: u32,
    pub questions: Vec<QuestionTally>,
    /// Scale replies at 基本满意 or better, of all scale replies.
    pub satisfied: u32,
    pub scale_replies: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuestionTally {
    pub text: String,
    pub kind: QuestionKind,
    /// (choice, count) in the order shown.
    pub counts: Vec<(String, u32)>,
    pub texts: Vec<String>,
}

impl Tally {
    pub fn of(q: &Questionnaire, answers: &[Answer]) -> Tally {
        let mut questions: Vec<QuestionTally> = q
            .questions
            .iter()
            .map(|q| QuestionTally {
                text: q.text.clone(),
                kind: q.kind,
                counts: q.choices().into_iter().map(|c| (c, 0)).collect(),
                texts: vec![],
            })
            .collect();
        let (mut satisfied, mut scale_replies) = (0, 0);
        for a in answers {
            for (t, r) in questions.iter_mut().zip(&a.0) {
                let mut count = |choice: usize| {
                    if let Some(c) = choice.checked_sub(1).and_then(|i| t.counts.get_mut(i)) {
                        c.1 += 1;
                    }
                };
                match r {
                    Reply::Scale(p) => {
                        scale_replies += 1;
                        if *p >= SATISFIED_FROM {
                            satisfied += 1;
                        }
                        count(6usize.saturating_sub(*p as usize));
                    }
                    Reply::Single(i) => count(*i as usize),
                    Reply::Multiple(is) => is.iter().for_each(|i| count(*i as usize)),
                    Reply::Text(s) if !s.is_empty() => t.texts.push(s.clone()),
                    Reply::Text(_) => {}
                }
            }
        }
        Tally {
            answers: answers.len() as u32,
            questions,
            satisfied,
            scale_replies,
        }
    }

    /// 满意度 in basis points (9650 = 96.50%); None without any scale reply.
    pub fn satisfaction_bp(&self) -> Option<i64> {
        (self.scale_replies > 0).then(|| {
            crate::assessment::scoring::round_div(
                self.satisfied as i128 * 10_000,
                self.scale_replies as i128,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn overrides_are_refused_in_a_questionnaire_and_in_an_answer() {
        let mut q = super::Questionnaire::reference("桃江县重点项目建设事务中心");
        assert!(q.check().is_ok());
        let text = q
            .questions
            .iter()
            .position(|x| x.kind == super::QuestionKind::Text)
            .unwrap();
        let answer = |v: &str| {
            let v = v.to_string();
            q.read_answer(|name: &str| {
                if name == format!("q{}", text + 1) {
                    vec![v.clone()]
                } else {
                    vec!["1".into()]
                }
            })
        };
        assert!(answer("建议改进").is_ok());
        let e = answer("建议\u{202e}改进").unwrap_err();
        assert!(e.0.iter().any(|f| f.code == "invalid_chars"), "{e:?}");
        q.title.push('\u{2066}');
        assert!(q.check().is_err());
    }

    use super::*;

    fn form<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Vec<String> + 'a {
        move |k| {
            pairs
                .iter()
                .filter(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
                .collect()
        }
    }

    #[test]
    fn the_reference_questionnaire_is_valid() {
        Questionnaire::reference("桃江县重点项目建设事务中心")
            .check()
            .unwrap();
    }

    #[test]
    fn a_questionnaire_is_checked_at_each_question() {
        let mut q = Questionnaire::reference("中心");
        q.questions[4].options = vec!["甲".into()];
        q.questions[1].text = " ".into();
        q.questions[5].options = vec!["多余".into()];
        let e = q.check().unwrap_err();
        assert!(e.for_field("q5.options").unwrap().contains("2至8个"));
        assert_eq!(e.for_field("q2.text"), Some("第2题请填写题目"));
        assert!(e.for_field("q6.options").is_some());
        q.questions.retain(|q| q.kind != QuestionKind::Scale);
        assert!(q.check().unwrap_err().for_field("questions").is_some());
    }

    #[test]
    fn answers_are_read_and_tallied() {
        let q = Questionnaire::reference("中心");
        let a = q
            .read_answer(form(&[
                ("q1", "1"),
                ("q2", "2"),
                ("q3", "4"),
                ("q4", "3"),
                ("q5", "2"),
                ("q5", "5"),
                ("q6", " 希望<b>更快</b> "),
            ]))
            .unwrap();
        assert_eq!(a.0[0], Reply::Scale(5));
        assert_eq!(a.0[2], Reply::Scale(2));
        assert_eq!(a.0[4], Reply::Multiple(vec![2, 5]));
        assert_eq!(a.0[5], Reply::Text("希望<b>更快</b>".into()));
        let t = Tally::of(&q, &[a.clone(), a]);
        assert_eq!(t.answers, 2);
        // 5, 4, 2, 3 twice: six of eight at 基本满意 or better
        assert_eq!((t.satisfied, t.scale_replies), (6, 8));
        assert_eq!(t.satisfaction_bp(), Some(75_00));
        assert_eq!(t.questions[0].counts[0], ("非常满意".into(), 2));
        assert_eq!(t.questions[4].counts[1], ("服务态度".into(), 2));
        assert_eq!(t.questions[5].texts.len(), 2);
    }

    #[test]
    fn bad_answers_are_refused_at_their_question() {
        let q = Questionnaire::reference("中心");
        let e = q
            .read_answer(form(&[
                ("q1", "6"),
                ("q2", "1"),
                ("q2", "2"),
                ("q5", "9"),
                ("q6", "优惠 http://spam.example"),
            ]))
            .unwrap_err();
        assert_eq!(e.for_field("q1"), Some("第1题的选择无效"));
        assert_eq!(e.for_field("q2"), Some("第2题只能选一项"));
        assert_eq!(e.for_field("q3"), Some("请回答第3题"));
        assert_eq!(e.for_field("q5"), Some("第5题的选择无效"));
        assert_eq!(e.for_field("q6"), Some("第6题请勿填写网址或链接"));
        let long = "长".repeat(MAX_TEXT_CHARS + 1);
        let e = q
            .read_answer(form(&[
                ("q1", "1"),
                ("q2", "1"),
                ("q3", "1"),
                ("q4", "1"),
                ("q5", "1"),
                ("q6", &long),
            ]))
            .unwrap_err();
        assert!(e.for_field("q6").unwrap().contains("不能超过500个字"));
    }

    #[test]
    fn no_scale_reply_means_no_satisfaction() {
        let q = Questionnaire::reference("中心");
        assert_eq!(Tally::of(&q, &[]).satisfaction_bp(), None);
    }
}
