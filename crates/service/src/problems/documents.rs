//! Documents issued on the way (交办单, 督办函, 会议纪要): numbered, frozen once issued (a trigger
//! refuses later changes), shown as a printable page and as an official-style Word file made
//! from the frozen content.

use super::items::visible_item;
use crate::work::{Audit, Work};
use crate::{App, Ctx, Result, ServiceError, require};
use keyproj_db::Tx;
use keyproj_db::repo::org;
use keyproj_db::repo::problems::documents::{self as repo, DocumentRow, NewDocument};
use keyproj_db::repo::problems::items::{self as item_repo, ItemRow};
use keyproj_domain::RegionCode;
use keyproj_domain::authz::{Action, Role};
use keyproj_domain::ids::{DocumentId, ItemId};
use keyproj_domain::month::chinese_date;
use keyproj_domain::problem::DocumentKind;
use serde::{Deserialize, Serialize};

/// The frozen content of an issued document (the .docx and the printable page are made from it).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct DocContent {
    pub recipient: String,
    pub assisting: String,
    pub leader: String,
    pub intro: String,
    pub items: Vec<DocItem>,
    pub closing: String,
    /// The issuing center's full name (documents issued before it was recorded: empty).
    #[serde(default)]
    pub issuer: String,
    /// 联系人：…，联系电话：… under the signature (empty: none).
    #[serde(default)]
    pub contact: String,
}

/// One item as a document lists it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct DocItem {
    pub number: String,
    pub project: String,
    pub title: String,
    pub description: String,
    pub handler: String,
    pub deadline: String,
}

impl DocItem {
    pub fn of(r: &ItemRow) -> DocItem {
        DocItem {
            number: r.number.clone(),
            project: r.project_name.clone().unwrap_or_default(),
            title: r.title.clone(),
            description: r.description.clone(),
            handler: r.handler_unit_name.clone().unwrap_or_default(),
            deadline: r.deadline.map(chinese_date).unwrap_or_default(),
        }
    }
}

impl DocContent {
    /// The content of an issued document (stored by us, so it reads back).
    pub fn of(doc: &DocumentRow) -> Result<DocContent> {
        serde_json::from_str(&doc.content)
            .map_err(|e| ServiceError::internal("document content", e))
    }
    /// The issuer as printed in the red header and the signature.
    pub fn issuer_name(&self) -> &str {
        if self.issuer.is_empty() {
            "重点项目建设事务中心"
        } else {
            &self.issuer
        }
    }
    pub fn to_json(&self) -> String {
        // plain strings and lists: serialising cannot fail
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A document and its content, for the page and the Word file.
#[derive(Debug, Clone, Serialize)]
pub struct IssuedDocument {
    pub document: DocumentRow,
    pub content: DocContent,
}

/// A document the actor may see (through its item or meeting).
#[tracing::instrument(skip_all, fields(user = %ctx.actor.username))]
pub async fn document(app: &App, ctx: &Ctx, id: DocumentId) -> Result<IssuedDocument> {
    require(ctx, Action::ViewProblems)?;
    let mut tx = app.db.begin_read().await?;
    let d = repo::get_document(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if let Some(item) = d.item_id {
        visible_item(&mut tx, ctx, item).await?;
    } else {
        let staff = ctx.actor.has(Role::CenterStaff) || ctx.actor.has(Role::CountyLeader);
        let recipient = ctx.actor.is_unit(d.recipient_unit_id);
        if !ctx.actor.region.contains(&d.region_code) || !(staff || recipient) {
            return Err(ServiceError::NotFound);
        }
    }
    let content = DocContent::of(&d)?;
    Ok(IssuedDocument {
        document: d,
        content,
    })
}

/// The Word document of an issued document, from its frozen content.
pub fn docx_of(d: &IssuedDocument) -> keyproj_office::docx::Official {
    let (doc, c) = (&d.document, &d.content);
    let is_minutes = doc.kind == DocumentKind::Minutes;
    keyproj_office::docx::Official {
        issuer: c.issuer_name().to_string(),
        title: doc.title.clone(),
        number: doc.number.clone(),
        recipient: if is_minutes {
            String::new()
        } else {
            c.recipient.clone()
        },
        paragraphs: vec![c.intro.clone()],
        table_headers: ["编号", "项目", "事项", "具体情况", "承办单位", "办理时限"]
            .into_iter()
            .map(String::from)
            .collect(),
        table_rows: c
            .items
            .iter()
            .map(|i| {
                vec![
                    i.number.clone(),
                    i.project.clone(),
                    i.title.clone(),
                    i.description.clone(),
                    i.handler.clone(),
                    i.deadline.clone(),
                ]
            })
            .collect(),
        closing: c.closing.clone(),
        date: doc.issued_on.to_string(),
        copy_to: if is_minutes {
            c.recipient.clone()
        } else {
            c.assisting.clone()
        },
        contact: c.contact.clone(),
    }
}

/// The document as PDF (from its Word file: the same red header, rule and layout).
pub async fn pdf_of(app: &App, d: &IssuedDocument) -> Result<crate::exports::PdfFile> {
    let official = docx_of(d);
    crate::exports::pdf_of(
        app,
        &format!("pdf/document-{}.pdf", d.document.id),
        move || {
            keyproj_office::docx::official(&official)
                .map_err(|e| ServiceError::internal("writing a Word document", e))
        },
        "docx",
        format!("{}.pdf", d.document.number),
    )
    .await
}

/// Who issues a region's documents, frozen into each: the center's full name and its
/// 联系人 line (from the center unit's contact and phone; empty when neither is set).
pub(crate) async fn issuer_in(tx: &mut Tx, region: &RegionCode) -> Result<(String, String)> {
    let id = crate::org::center_unit_in(tx, region).await?;
    let u = org::get_unit(tx, id).await?.ok_or(ServiceError::NotFound)?;
    let contact = match (u.contact.trim(), u.phone.trim()) {
        ("", "") => String::new(),
        (c, "") => format!("联系人：{c}"),
        ("", p) => format!("联系电话：{p}"),
        (c, p) => format!("联系人：{c}，联系电话：{p}"),
    };
    Ok((u.name, contact))
}

/// Issues the 交办单 of an item just assigned: the item as assigned, frozen under its number.
pub(crate) async fn issue_assign_notice_in(w: &mut Work<'_>, id: ItemId) -> Result<DocumentId> {
    let item = item_repo::get_item(&mut w.tx, id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut assisting = vec![];
    for u in &item.assisting_unit_ids {
        if let Some(u) = org::get_unit(&mut w.tx, *u).await? {
            assisting.push(u.name);
        }
    }
    let deadline = item.deadline.map(chinese_date).unwrap_or_default();
    let (issuer, contact) = issuer_in(&mut w.tx, &item.region_code).await?;
    let content = DocContent {
        issuer,
        contact,
        recipient: item.handler_unit_name.clone().unwrap_or_default(),
        assisting: assisting.join("、"),
        leader: item.leader_name.clone().unwrap_or_default(),
        intro: format!(
            "经研究，现将以下事项交由你单位牵头办理，请于{deadline}前办结，并将办理结果书面反馈县重点项目建设事务中心。"
        ),
        items: vec![DocItem::of(&item)],
        closing: "逾期未办结的，将按规定发出督办函；情况特殊需延期的，请在时限届满前提出延期申请。"
            .into(),
    };
    let today = w.today();
    let (doc, _) = repo::insert_document(
        &mut w.tx,
        &NewDocument {
            region_code: &item.region_code,
            kind: DocumentKind::Assign,
            year: item.year,
            prefix: "",
            fixed_number: Some((&item.number, item.seq)),
            item_id: Some(item.id),
            meeting_id: None,
            recipient_unit_id: item.handler_unit_id,
            title: DocumentKind::Assign.title(),
            content: &content.to_json(),
            reply_by: item.deadline,
            issued_on: today,
            issued_by: &w.ctx.actor.username,
            for_deadline: None,
        },
        w.now,
    )
    .await?;
    w.audit(
        Audit::new("issue", "document")
            .id(doc)
            .after(&serde_json::json!({"kind": DocumentKind::Assign.key(), "number": item.number})),
    )
    .await?;
    Ok(doc)
}
