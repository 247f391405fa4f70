//! 部门整体支出绩效自评: the department's ledger of a year, one checked document per region and
//! year, changed only at the version read.

use crate::{DbError, Tx, run};
use chrono::{DateTime, Utc};
use keyproj_domain::RegionCode;
use keyproj_domain::evaluation::Ledger;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct LedgerRow {
    pub id: i64,
    pub region_code: RegionCode,
    pub year: i32,
    pub ledger: Ledger,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// The documents kept one per region and year, each changed only at the version read: the
/// ledger, the report's texts until issue, the adopted template. One mechanism, one SQL text
/// per table and statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YearDoc {
    Ledger,
    ReportTexts,
    Template,
}

impl YearDoc {
    fn select(self) -> &'static str {
        match self {
            YearDoc::Ledger => {
                "SELECT id, ledger, version, updated_by, updated_at FROM evaluation_ledgers
                WHERE region_code = $1 AND year = $2"
            }
            YearDoc::ReportTexts => {
                "SELECT id, texts, version, updated_by, updated_at FROM evaluation_report_texts
                WHERE region_code = $1 AND year = $2"
            }
            YearDoc::Template => {
                "SELECT id, template, version, updated_by, updated_at FROM evaluation_templates
                WHERE region_code = $1 AND year = $2"
            }
        }
    }
    fn insert(self) -> &'static str {
        match self {
            YearDoc::Ledger => {
                "INSERT INTO evaluation_ledgers (region_code, year, ledger, version, updated_by, created_at, updated_at)
                VALUES ($1, $2, $3, 1, $4, $5, $5) RETURNING id"
            }
            YearDoc::ReportTexts => {
                "INSERT INTO evaluation_report_texts (region_code, year, texts, version, updated_by, updated_at)
                VALUES ($1, $2, $3, 1, $4, $5) RETURNING id"
            }
            YearDoc::Template => {
                "INSERT INTO evaluation_templates (region_code, year, template, version, updated_by, updated_at)
                VALUES ($1, $2, $3, 1, $4, $5) RETURNING id"
            }
        }
    }
    fn update(self) -> &'static str {
        match self {
            YearDoc::Ledger => {
                "UPDATE evaluation_ledgers SET ledger = $1, version = version + 1, updated_by = $2, updated_at = $3
                WHERE id = $4 AND version = $5"
            }
            YearDoc::ReportTexts => {
                "UPDATE evaluation_report_texts SET texts = $1, version = version + 1, updated_by = $2, updated_at = $3
                WHERE id = $4 AND version = $5"
            }
            YearDoc::Template => {
                "UPDATE evaluation_templates SET template = $1, version = version + 1, updated_by = $2, updated_at = $3
                WHERE id = $4 AND version = $5"
            }
        }
    }
    /// The column, for a row that does not decode.
    fn column(self) -> &'static str {
        match self {
            YearDoc::Ledger => "evaluation_ledgers.ledger",
            YearDoc::ReportTexts => "evaluation_report_texts.texts",
            YearDoc::Template => "evaluation_templates.template",
        }
    }
}

/// A kept document with its version.
#[derive(Debug, Clone, Serialize)]
pub struct Kept<T> {
    pub id: i64,
    pub doc: T,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// The region's document of the year, if kept.
pub async fn kept<T: serde::de::DeserializeOwned>(
    tx: &mut Tx,
    kind: YearDoc,
    region: &RegionCode,
    year: i32,
) -> Result<Option<Kept<T>>, DbError> {
    run!(tx, |c| sqlx::query_as::<
        _,
        (i64, String, i64, String, DateTime<Utc>),
    >(kind.select())
    .bind(region.as_str())
    .bind(year as i64)
    .fetch_optional(c)
    .await)?
    .map(|(id, doc, version, updated_by, updated_at)| {
        Ok(Kept {
            id,
            doc: serde_json::from_str(&doc)
                .map_err(|_| DbError::Decode(kind.column(), doc.chars().take(80).collect()))?,
            version,
            updated_by,
            updated_at,
        })
    })
    .transpose()
}

/// The first document of a region's year; someone else's first one meanwhile is a duplicate.
pub async fn insert_kept<T: Serialize>(
    tx: &mut Tx,
    kind: YearDoc,
    region: &RegionCode,
    year: i32,
    doc: &T,
    by: &str,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    run!(tx, |c| sqlx::query_scalar::<_, i64>(kind.insert())
        .bind(region.as_str())
        .bind(year as i64)
        .bind(json(doc))
        .bind(by)
        .bind(now)
        .fetch_one(c)
        .await)
    .map_err(|e| DbError::from(e).on_duplicate("该年度的内容已由他人建立，请刷新后修改"))
}

/// Changes the document still at `version`: false when someone changed it meanwhile.
pub async fn update_kept<T: Serialize>(
    tx: &mut Tx,
    kind: YearDoc,
    id: i64,
    version: i64,
    doc: &T,
    by: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let n = run!(tx, |c| sqlx::query(kind.update())
        .bind(json(doc))
        .bind(by)
        .bind(now)
        .bind(id)
        .bind(version)
        .execute(c)
        .await
        .map(|x| x.rows_affected()))?;
    Ok(n == 1)
}

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "{}".into())
}

/// The year's ledger as the API shows it (with its region and year).
pub async fn get(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
) -> Result<Option<LedgerRow>, DbError> {
    Ok(kept::<Ledger>(tx, YearDoc::Ledger, region, year)
        .await?
        .map(|k| LedgerRow {
            id: k.id,
            region_code: region.clone(),
            year,
            ledger: k.doc,
            version: k.version,
            updated_by: k.updated_by,
            updated_at: k.updated_at,
        }))
}

// ----- the issued report, frozen -----

use keyproj_domain::evaluation::report::ReportDoc;

#[derive(Debug, Clone, Serialize)]
pub struct IssuedReport {
    pub id: i64,
    pub year: i32,
    pub number: String,
    pub content: ReportDoc,
    pub issued_on: String,
    pub issued_by: String,
    pub created_at: DateTime<Utc>,
}

type IssuedRaw = (i64, i64, String, String, String, String, DateTime<Utc>);

pub async fn issued(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
) -> Result<Option<IssuedReport>, DbError> {
    const SQL: &str = "SELECT id, year, number, content, issued_on, issued_by, created_at
        FROM evaluation_reports WHERE region_code = $1 AND year = $2";
    run!(tx, |c| sqlx::query_as::<_, IssuedRaw>(SQL)
        .bind(region.as_str())
        .bind(year as i64)
        .fetch_optional(c)
        .await)?
    .map(
        |(id, year, number, content, issued_on, issued_by, created_at)| {
            Ok(IssuedReport {
                id,
                year: year as i32,
                number,
                content: serde_json::from_str(&content).map_err(|_| {
                    DbError::Decode(
                        "evaluation_reports.content",
                        content.chars().take(80).collect(),
                    )
                })?,
                issued_on,
                issued_by,
                created_at,
            })
        },
    )
    .transpose()
}

/// The next number of the reports the region issues in `issue_year`.
pub async fn next_seq(tx: &mut Tx, region: &RegionCode, issue_year: i32) -> Result<i64, DbError> {
    const SQL: &str = "SELECT COALESCE(MAX(seq), 0) + 1 FROM evaluation_reports
        WHERE region_code = $1 AND issued_on LIKE $2";
    run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(region.as_str())
        .bind(format!("{issue_year}-%"))
        .fetch_one(c)
        .await)
    .map_err(DbError::from)
}

pub struct NewReport<'a> {
    pub region: &'a RegionCode,
    pub year: i32,
    pub seq: i64,
    pub number: &'a str,
    pub content: &'a ReportDoc,
    pub issued_on: &'a str,
    pub by: &'a str,
    pub now: DateTime<Utc>,
}

/// Issues the year's report; a second for the same year is a duplicate.
pub async fn insert_issued(tx: &mut Tx, r: &NewReport<'_>) -> Result<i64, DbError> {
    const SQL: &str = "INSERT INTO evaluation_reports (region_code, year, seq, number, content, issued_on, issued_by, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
    run!(tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(r.region.as_str())
        .bind(r.year as i64)
        .bind(r.seq)
        .bind(r.number)
        .bind(serde_json::to_string(r.content).unwrap_or_else(|_| "{}".into()))
        .bind(r.issued_on)
        .bind(r.by)
        .bind(r.now)
        .fetch_one(c)
        .await)
    .map_err(|e| DbError::from(e).on_duplicate("该年度的自评报告已经印发"))
}

// ----- keyproj's own cadence of the year, for the 产出 leaves -----

/// (report month "YYYY-MM", first submitted on "YYYY-MM-DD") of every monthly report of the
/// region's projects for months of `year`.
pub async fn report_submissions(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
) -> Result<Vec<(String, String)>, DbError> {
    const SQL: &str = "SELECT r.month, r.first_submitted_on FROM monthly_reports r
        JOIN projects p ON p.id = r.project_id
        WHERE p.region_code = $1 AND r.month LIKE $2";
    run!(tx, |c| sqlx::query_as::<_, (String, String)>(SQL)
        .bind(region.as_str())
        .bind(format!("{year}-%"))
        .fetch_all(c)
        .await)
    .map_err(DbError::from)
}

/// The months ("YYYY-MM") of `year` a colour table was published for (corrections aside).
pub async fn colour_months(
    tx: &mut Tx,
    region: &RegionCode,
    year: i32,
) -> Result<Vec<String>, DbError> {
    const SQL: &str = "SELECT DISTINCT as_of_month FROM colour_issues
        WHERE region_code = $1 AND as_of_month LIKE $2 AND corrects_issue_id IS NULL
        ORDER BY as_of_month";
    run!(tx, |c| sqlx::query_scalar::<_, String>(SQL)
        .bind(region.as_str())
        .bind(format!("{year}-%"))
        .fetch_all(c)
        .await)
    .map_err(DbError::from)
}
