//! 满意度调查 (issue #13): staff build a questionnaire for a year and open it for a period,
//! hand it out on numbered slips (printed with QR codes), and the public answers on a phone
//! page without logging in. The 满意度 of the year's answers feeds the self-evaluation.
//!
//! One answer per slip, without personal data: a slip's link is `{survey}-{serial}-{signature}`,
//! the signature an HMAC-SHA256 of survey and serial under the survey's own random key (kept in
//! the database, so every instance checks it and slips can be printed again). A serial is
//! answered once (the answers' unique key), a forged or altered link is not found, and nothing
//! about the respondent is stored.

use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, field_error};
use chrono::NaiveDate;
use hmac::{Hmac, Mac};
use keyproj_db::repo::survey::{self as repo, NewSurvey, SurveyRow};
use keyproj_domain::authz::{Actor, Role};
use keyproj_domain::survey::{Answer, Questionnaire, Tally};
use keyproj_domain::{RegionCode, ValidationErrors};
use serde::Serialize;

/// Slips handed out at once, and in all, for one survey.
pub const MAX_SLIPS_AT_ONCE: i64 = 500;
pub const MAX_SLIPS: i64 = 5000;

fn staff(ctx: &Ctx) -> Result<()> {
    if ctx.actor.has(Role::CenterStaff) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

fn reader(ctx: &Ctx) -> Result<()> {
    if ctx.actor.has(Role::CenterStaff) || ctx.actor.has(Role::CountyLeader) {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

/// Where a survey stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SurveyState {
    NotYetOpen,
    Open,
    Ended,
}

impl SurveyState {
    pub fn of(s: &SurveyRow, today: NaiveDate) -> SurveyState {
        if s.closed_at.is_some() || today > s.closes_on {
            SurveyState::Ended
        } else if today < s.opens_on {
            SurveyState::NotYetOpen
        } else {
            SurveyState::Open
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::NotYetOpen => "未开始",
            Self::Open => "进行中",
            Self::Ended => "已结束",
        }
    }
}

/// A survey with its answers counted.
#[derive(Debug, Clone, Serialize)]
pub struct SurveyView {
    pub survey: SurveyRow,
    pub state: SurveyState,
    pub tally: Tally,
}

/// What staff type for a survey.
#[derive(Debug, Clone)]
pub struct SurveyDraft {
    pub year: i32,
    pub questionnaire: Questionnaire,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
}

impl SurveyDraft {
    fn check(&self, today: NaiveDate) -> Result<()> {
        use chrono::Datelike;
        let mut e = match self.questionnaire.check() {
            Ok(()) => ValidationErrors::new(),
            Err(e) => e,
        };
        if !(2000..=today.year()).contains(&self.year) {
            e.add(
                "year",
                "invalid_year",
                format!("调查年度应在2000至{}之间", today.year()),
            );
        }
        if self.closes_on < self.opens_on {
            e.add("closes_on", "before_open", "结束日期不能早于开始日期");
        } else if self.closes_on < today {
            e.add("closes_on", "past", "结束日期不能早于今天");
        } else if self.closes_on > keyproj_domain::problem::draft::latest_deadline(today) {
            e.add("closes_on", "too_far", "结束日期不能超过一年以后");
        }
        e.into_result().map_err(ServiceError::Validation)
    }
}

async fn view(app: &App, tx: &mut keyproj_db::Tx, s: SurveyRow) -> Result<SurveyView> {
    let answers = repo::answers(tx, s.id).await?;
    Ok(SurveyView {
        state: SurveyState::of(&s, app.local_today()),
        tally: Tally::of(&s.questionnaire, &answers),
        survey: s,
    })
}

/// The region's surveys (of one year when given), newest first, with their answers counted.
pub async fn list(app: &App, ctx: &Ctx, year: Option<i32>) -> Result<Vec<SurveyView>> {
    reader(ctx)?;
    let mut tx = app.db.begin_read().await?;
    let rows = repo::list(&mut tx, &ctx.actor.region, year).await?;
    let mut out = Vec::with_capacity(rows.len());
    for s in rows {
        out.push(view(app, &mut tx, s).await?);
    }
    Ok(out)
}

async fn own(tx: &mut keyproj_db::Tx, ctx: &Ctx, id: i64) -> Result<SurveyRow> {
    match repo::get(tx, id).await? {
        Some(s) if s.region_code == ctx.actor.region => Ok(s),
        _ => Err(ServiceError::NotFound),
    }
}

/// One survey of the region with its answers counted; another region's is not found.
pub async fn get(app: &App, ctx: &Ctx, id: i64) -> Result<SurveyView> {
    reader(ctx)?;
    let mut tx = app.db.begin_read().await?;
    let s = own(&mut tx, ctx, id).await?;
    view(app, &mut tx, s).await
}

/// A new survey, not yet handed out.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn create(app: &App, ctx: &Ctx, draft: &SurveyDraft) -> Result<i64> {
    staff(ctx)?;
    draft.check(app.local_today())?;
    let mut w = Work::begin(app, ctx).await?;
    let key = crate::random_token();
    let id = repo::insert(
        &mut w.tx,
        &NewSurvey {
            region: &ctx.actor.region,
            year: draft.year,
            questionnaire: &draft.questionnaire,
            opens_on: draft.opens_on,
            closes_on: draft.closes_on,
            link_key: &key,
            by: &ctx.actor.username,
            now: w.now,
        },
    )
    .await?;
    w.audit(Audit::create("survey", id).after(&serde_json::json!({
        "year": draft.year,
        "questionnaire": draft.questionnaire,
        "opens_on": draft.opens_on,
        "closes_on": draft.closes_on,
    })))
    .await?;
    w.commit().await?;
    Ok(id)
}

/// Changes a survey at the version read. Once answered its questions stay as they were (the
/// answers refer to them); only the period may move.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn update(
    app: &App,
    ctx: &Ctx,
    id: i64,
    version: i64,
    draft: &SurveyDraft,
) -> Result<()> {
    staff(ctx)?;
    let mut w = Work::begin(app, ctx).await?;
    let before = own(&mut w.tx, ctx, id).await?;
    draft.check(app.local_today())?;
    if draft.year != before.year {
        return Err(field_error("year", "fixed", "问卷建立后不能更改调查年度"));
    }
    if before.answers > 0 && draft.questionnaire != before.questionnaire {
        return Err(field_error(
            "questions",
            "answered",
            format!(
                "已收到{}份答卷，题目不能再修改（只能调整起止日期）",
                before.answers
            ),
        ));
    }
    if SurveyState::of(&before, app.local_today()) == SurveyState::Ended {
        return Err(field_error("survey", "closed", "调查已结束，不能再修改"));
    }
    if before.answers > 0 && draft.opens_on > app.local_today() {
        return Err(field_error(
            "opens_on",
            "answered",
            "已收到答卷，开始日期不能晚于今天",
        ));
    }
    if !repo::update(
        &mut w.tx,
        id,
        version,
        &draft.questionnaire,
        draft.opens_on,
        draft.closes_on,
        w.now,
    )
    .await?
    {
        return Err(ServiceError::Stale);
    }
    w.audit(
        Audit::update("survey", id)
            .before(&serde_json::json!({
                "questionnaire": before.questionnaire,
                "opens_on": before.opens_on,
                "closes_on": before.closes_on,
            }))
            .after(&serde_json::json!({
                "questionnaire": draft.questionnaire,
                "opens_on": draft.opens_on,
                "closes_on": draft.closes_on,
            })),
    )
    .await?;
    w.commit().await
}

/// Hands out `more` slips (1 to 500 at once, 5000 in all); returns the first new serial.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn add_slips(app: &App, ctx: &Ctx, id: i64, version: i64, more: i64) -> Result<i64> {
    staff(ctx)?;
    if !(1..=MAX_SLIPS_AT_ONCE).contains(&more) {
        return Err(field_error(
            "count",
            "range",
            format!("每次可生成1至{MAX_SLIPS_AT_ONCE}张问卷"),
        ));
    }
    let mut w = Work::begin(app, ctx).await?;
    let s = own(&mut w.tx, ctx, id).await?;
    if SurveyState::of(&s, app.local_today()) == SurveyState::Ended {
        return Err(field_error("count", "ended", "调查已结束，不能再发放问卷"));
    }
    if s.slips + more > MAX_SLIPS {
        return Err(field_error(
            "count",
            "too_many",
            format!("每份调查最多发放{MAX_SLIPS}张问卷（已发放{}张）", s.slips),
        ));
    }
    if !repo::add_slips(&mut w.tx, id, version, more, w.now).await? {
        return Err(ServiceError::Stale);
    }
    w.audit(
        Audit::new("hand_out", "survey")
            .id(id)
            .before(&serde_json::json!({"slips": s.slips}))
            .after(&serde_json::json!({"slips": s.slips + more})),
    )
    .await?;
    w.commit().await?;
    Ok(s.slips + 1)
}

/// Ends the survey before its closing date.
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn close(app: &App, ctx: &Ctx, id: i64, version: i64) -> Result<()> {
    staff(ctx)?;
    let mut w = Work::begin(app, ctx).await?;
    let s = own(&mut w.tx, ctx, id).await?;
    if s.closed_at.is_some() {
        return Err(field_error("survey", "closed", "调查已经结束"));
    }
    if !repo::close(&mut w.tx, id, version, w.now).await? {
        return Err(ServiceError::Stale);
    }
    w.audit(Audit::new("close", "survey").id(id)).await?;
    w.commit().await
}

fn signature(key: &str, survey: i64, serial: i64) -> Hmac<sha2::Sha256> {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(format!("{survey}:{serial}").as_bytes());
    mac
}

/// Hex characters of the signature kept in a link (80 bits: short enough for a clear QR code,
/// far beyond guessing through a rate-limited public page).
const SIGNATURE_HEX: usize = 20;

/// The token of slip `serial` of a survey.
pub fn slip_token(s: &SurveyRow, serial: i64) -> String {
    let sig = hex::encode(signature(&s.link_key, s.id, serial).finalize().into_bytes());
    format!("{}-{serial}-{}", s.id, &sig[..SIGNATURE_HEX])
}

/// The slips of a survey from `from` (at most `count`), with their tokens, for printing.
pub async fn slips(
    app: &App,
    ctx: &Ctx,
    id: i64,
    from: i64,
    count: i64,
) -> Result<(SurveyRow, Vec<(i64, String)>)> {
    staff(ctx)?;
    let mut tx = app.db.begin_read().await?;
    let s = own(&mut tx, ctx, id).await?;
    let from = from.max(1);
    let to = (from + count.clamp(0, MAX_SLIPS_AT_ONCE) - 1).min(s.slips);
    let tokens = (from..=to).map(|n| (n, slip_token(&s, n))).collect();
    Ok((s, tokens))
}

/// A slip as the public page sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Slip {
    pub opens_on: NaiveDate,
    pub survey_id: i64,
    pub serial: i64,
    pub year: i32,
    pub questionnaire: Questionnaire,
    pub state: SurveyState,
    pub answered: bool,
}

/// Reads a token: a forged, altered or not-yet-handed-out slip is not found.
async fn verify(tx: &mut keyproj_db::Tx, token: &str) -> Result<(SurveyRow, i64)> {
    let mut parts = token.splitn(3, '-');
    let (Some(id), Some(serial), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(ServiceError::NotFound);
    };
    let (Ok(id), Ok(serial)) = (id.parse::<i64>(), serial.parse::<i64>()) else {
        return Err(ServiceError::NotFound);
    };
    if sig.len() != SIGNATURE_HEX {
        return Err(ServiceError::NotFound);
    }
    let Ok(sig) = hex::decode(sig) else {
        return Err(ServiceError::NotFound);
    };
    let Some(s) = repo::get(tx, id).await? else {
        return Err(ServiceError::NotFound);
    };
    if !(1..=s.slips).contains(&serial)
        || signature(&s.link_key, id, serial)
            .verify_truncated_left(&sig)
            .is_err()
    {
        return Err(ServiceError::NotFound);
    }
    // one spelling per slip: "0001-", "+1-" or upper-case hex are other links, not this one
    if token != slip_token(&s, serial) {
        return Err(ServiceError::NotFound);
    }
    Ok((s, serial))
}

/// The public page's view of a slip.
pub async fn slip(app: &App, token: &str) -> Result<Slip> {
    let mut tx = app.db.begin_read().await?;
    let (s, serial) = verify(&mut tx, token).await?;
    let answered = repo::answered(&mut tx, s.id, serial).await?;
    Ok(Slip {
        opens_on: s.opens_on,
        survey_id: s.id,
        serial,
        year: s.year,
        state: SurveyState::of(&s, app.local_today()),
        questionnaire: s.questionnaire,
        answered,
    })
}

/// Takes a slip's answer from the public page (`field` gives a form field's values). A closed
/// survey, a used slip, an invalid or spam answer: refused with a message, nothing written.
#[tracing::instrument(skip_all)]
pub async fn answer(app: &App, token: &str, field: impl Fn(&str) -> Vec<String>) -> Result<()> {
    // a form field no person sees: only a robot fills it
    if field("website").iter().any(|v| !v.is_empty()) {
        return Err(field_error(
            "survey",
            "spam",
            "提交未被接受，请刷新页面后重新填写",
        ));
    }
    let (s, serial) = {
        let mut tx = app.db.begin_read().await?;
        verify(&mut tx, token).await?
    };
    match SurveyState::of(&s, app.local_today()) {
        SurveyState::Open => {}
        SurveyState::NotYetOpen => {
            return Err(field_error(
                "survey",
                "not_open",
                format!(
                    "调查将于{}开始，请届时再填写",
                    s.opens_on.format("%Y年%-m月%-d日")
                ),
            ));
        }
        SurveyState::Ended => {
            return Err(field_error(
                "survey",
                "closed",
                "本次调查已结束，感谢您的关注",
            ));
        }
    }
    let answer: Answer = s
        .questionnaire
        .read_answer(field)
        .map_err(ServiceError::Validation)?;
    // no address kept: an answer is anonymous, its audit row too
    let ctx = Ctx {
        actor: Actor::public(s.region_code.clone()),
        ip: "public".into(),
    };
    let mut w = Work::begin(app, &ctx).await?;
    let id = repo::insert_answer(&mut w.tx, s.id, serial, &answer, w.now)
        .await
        .map_err(|e| match e {
            keyproj_db::DbError::Duplicate(m) => field_error("survey", "answered", m),
            e => e.into(),
        })?;
    w.audit(
        Audit::create("survey_answer", id)
            .after(&serde_json::json!({"survey": s.id, "serial": serial, "answer": answer})),
    )
    .await?;
    w.commit().await
}

/// The year's 满意度 over all its surveys' scale replies (basis points); None without any.
pub async fn satisfaction(app: &App, region: &RegionCode, year: i32) -> Result<Option<i64>> {
    let mut tx = app.db.begin_read().await?;
    let (mut satisfied, mut replies) = (0u32, 0u32);
    for s in repo::list(&mut tx, region, Some(year)).await? {
        let t = Tally::of(&s.questionnaire, &repo::answers(&mut tx, s.id).await?);
        satisfied += t.satisfied;
        replies += t.scale_replies;
    }
    Ok((replies > 0).then(|| {
        keyproj_domain::assessment::scoring::round_div(satisfied as i128 * 10_000, replies as i128)
    }))
}

/// The year's surveys as the report states them: slips handed out, answers, 满意度.
pub async fn summary(
    app: &App,
    region: &RegionCode,
    year: i32,
) -> Result<Option<keyproj_domain::evaluation::report::SurveySummary>> {
    let rows = {
        let mut tx = app.db.begin_read().await?;
        repo::list(&mut tx, region, Some(year)).await?
    };
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(keyproj_domain::evaluation::report::SurveySummary {
        slips: rows.iter().map(|s| s.slips).sum(),
        answers: rows.iter().map(|s| s.answers).sum(),
        satisfaction: satisfaction(app, region, year).await?,
    }))
}
