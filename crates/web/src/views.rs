//! What templates show: the page chrome, options of selects, and display helpers (万元, local
//! time).

use keyproj_domain::Money;
use keyproj_domain::authz::{Action, Actor, Role};
use keyproj_domain::keyed::Keyed;

/// One option of a select.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn new(value: impl ToString, label: impl Into<String>, selected: bool) -> Choice {
        Choice {
            value: value.to_string(),
            label: label.into(),
            selected,
        }
    }
}

/// Every value of a vocabulary as options; `selected` is the submitted key (or label).
pub fn choices<T: Keyed>(selected: &str) -> Vec<Choice> {
    T::all()
        .iter()
        .map(|v| {
            Choice::new(
                v.key(),
                v.label(),
                v.key() == selected || v.label() == selected,
            )
        })
        .collect()
}

/// Records by id and name as options, those in `selected` marked.
pub fn named_choices<I: PartialEq + ToString>(
    items: impl IntoIterator<Item = (I, String)>,
    selected: &[I],
) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(id, name)| {
            let on = selected.contains(&id);
            Choice::new(id.to_string(), name, on)
        })
        .collect()
}

pub struct Nav {
    pub href: &'static str,
    pub label: &'static str,
    pub key: &'static str,
}

/// The frame around every signed-in page.
pub struct Chrome {
    pub user: String,
    pub unit: String,
    pub roles: String,
    pub csrf: String,
    pub nav: Vec<Nav>,
    pub active: &'static str,
    pub unread: i64,
    /// The person may have API tokens (pages mention them only then).
    pub tokens: bool,
}

impl Chrome {
    pub fn new(s: &crate::auth::Signed, active: &'static str) -> Chrome {
        let a = &s.info.actor;
        Chrome {
            user: s.info.user.display_name.clone(),
            unit: s.info.user.unit_name.clone(),
            roles: a
                .roles
                .iter()
                .map(|r| r.label())
                .collect::<Vec<_>>()
                .join("、"),
            csrf: s.csrf().to_string(),
            nav: nav_for(a),
            active,
            unread: s.unread,
            tokens: a.may_create_tokens(),
        }
    }
}

pub fn nav_for(a: &Actor) -> Vec<Nav> {
    let mut v = vec![];
    // those who only report land on 本月待报 and find it first
    let reporter = a.only_reports();
    if reporter {
        v.push(Nav {
            href: "/reports",
            label: "本月待报",
            key: "reports",
        });
    }
    if a.may(Action::ViewProject) {
        if !reporter {
            v.push(Nav {
                href: "/",
                label: "首页",
                key: "home",
            });
        }
        v.push(Nav {
            href: "/projects",
            label: "项目库",
            key: "projects",
        });
    }
    if a.may(Action::ViewProject) {
        v.push(Nav {
            href: "/plans",
            label: "年度计划",
            key: "plans",
        });
        if !reporter {
            v.push(Nav {
                href: "/reports",
                label: if a.may(Action::ReviewReports) {
                    "月报审核"
                } else {
                    "月报"
                },
                key: "reports",
            });
        }
        v.push(Nav {
            href: "/colour",
            label: "进度分色表",
            key: "colour",
        });
        v.push(Nav {
            href: "/stats/annual",
            label: "年度统计",
            key: "stats",
        });
        if a.has(Role::CenterStaff) || a.has(Role::CountyLeader) {
            v.push(Nav {
                href: "/pipeline",
                label: "招商签约",
                key: "pipeline",
            });
        }
        if a.has(Role::CenterStaff) || a.has(Role::CountyLeader) || a.has(Role::UnitUser) {
            v.push(Nav {
                href: "/approvals",
                label: "帮代办",
                key: "approvals",
            });
        }
        if a.has(Role::CenterStaff) || a.has(Role::CountyLeader) || a.has(Role::UnitUser) {
            v.push(Nav {
                href: "/assessment",
                label: "单位考核",
                key: "assessment",
            });
        }
        if a.has(Role::CenterStaff) || a.has(Role::CountyLeader) {
            v.push(Nav {
                href: "/self-evaluation",
                label: "绩效自评",
                key: "self_evaluation",
            });
        }
    }
    if a.may(Action::ViewProblems) {
        v.push(Nav {
            href: "/todo",
            label: "待办",
            key: "todo",
        });
        v.push(Nav {
            href: "/problems",
            label: "问题清单",
            key: "problems",
        });
        if a.has(Role::CenterStaff) || a.has(Role::CountyLeader) {
            v.push(Nav {
                href: "/meetings",
                label: "会议与巡查",
                key: "meetings",
            });
        }
        if a.has(Role::CenterStaff) || a.has(Role::CountyLeader) || a.has(Role::UnitUser) {
            v.push(Nav {
                href: "/briefings",
                label: "工作简报",
                key: "briefings",
            });
        }
        v.push(Nav {
            href: "/problems/stats",
            label: "问题统计",
            key: "problem_stats",
        });
        if a.may(Action::ManageProblems) {
            v.push(Nav {
                href: "/problems/settings",
                label: "督办设置",
                key: "problem_settings",
            });
        }
    }
    if a.may(Action::ViewOrg) {
        v.push(Nav {
            href: "/org",
            label: "单位与领导",
            key: "org",
        });
    }
    if a.has(Role::SystemAdmin) || a.has(Role::SecurityAdmin) {
        v.push(Nav {
            href: "/admin/users",
            label: "账号管理",
            key: "users",
        });
    }
    if a.may(Action::ManageRegions) {
        v.push(Nav {
            href: "/admin/regions",
            label: "行政区划",
            key: "regions",
        });
    }
    if a.may(Action::ViewAudit) {
        v.push(Nav {
            href: "/audit",
            label: "审计日志",
            key: "audit",
        });
    }
    if a.may_create_tokens() {
        v.push(Nav {
            href: "/tokens",
            label: "API 令牌",
            key: "tokens",
        });
    }
    v.push(Nav {
        href: "/password",
        label: "修改密码",
        key: "password",
    });
    v
}

/// Where a change came from, as pages show it: the address, or what did it without one.
pub fn ip_shown(ip: &str) -> String {
    match ip {
        "local" | "system" => "本机（系统）".into(),
        "cli" => "命令行".into(),
        "import" => "导入".into(),
        ip => ip.to_string(),
    }
}

/// 万元 as pages show it: two decimals and thousands separators (forms keep the plain figure).
pub fn wan(m: &Money) -> String {
    m.wan_grouped()
}
pub fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("")
}
/// An optional value as shown (empty when none).
pub fn shown<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(|x| x.to_string()).unwrap_or_default()
}
/// Beijing time for people (the database keeps UTC).
pub fn local_time(t: &chrono::DateTime<chrono::Utc>) -> String {
    (*t + chrono::Duration::hours(8))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Numbered pages under a list: 上一页 1 … 4 5 [6] 7 8 … 20 下一页, and the page-size choice.
pub struct Pager {
    pub links: Vec<PageLink>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub pages: i64,
    /// 每页 20 | 50 | 100 … (empty: the list has a fixed size).
    pub sizes: Vec<PageLink>,
}

/// A page number (or a gap, with no href) or a page size.
pub struct PageLink {
    pub label: String,
    pub href: Option<String>,
    pub current: bool,
}

impl Pager {
    /// `base` is the list's query string without `page` and `per_page`.
    pub fn new(path: &str, base: &str, page: i64, pages: i64, per_page: Option<i64>) -> Pager {
        let pages = pages.max(1);
        let page = page.clamp(1, pages);
        let size_part = per_page
            .map(|n| format!("&per_page={n}"))
            .unwrap_or_default();
        let sep = if base.is_empty() { "" } else { "&" };
        let href = |p: i64| format!("{path}?{base}{sep}page={p}{size_part}");
        let mut links = vec![];
        let mut last_shown = 0;
        for p in 1..=pages {
            // the first two, the last two and two either side of the current page; a gap of
            // one page shows that page, not a "…" standing for it
            let near = |q: i64| q <= 2 || q > pages - 2 || (q - page).abs() <= 2;
            if near(p) || (near(p - 1) && near(p + 1) && p < pages) {
                if p > last_shown + 1 {
                    links.push(PageLink {
                        label: "…".into(),
                        href: None,
                        current: false,
                    });
                }
                links.push(PageLink {
                    label: p.to_string(),
                    href: Some(href(p)),
                    current: p == page,
                });
                last_shown = p;
            }
        }
        let sizes = match per_page {
            // a size typed into a link (5, 30) is listed too, marked as the one in use
            Some(current) => [20, 50, 100, 200]
                .into_iter()
                .chain((![20, 50, 100, 200].contains(&current)).then_some(current))
                .collect::<std::collections::BTreeSet<i64>>()
                .into_iter()
                .map(|n| PageLink {
                    label: n.to_string(),
                    href: Some(format!("{path}?{base}{sep}per_page={n}")),
                    current: n == current,
                })
                .collect(),
            None => vec![],
        };
        Pager {
            links,
            prev: (page > 1).then(|| href(page - 1)),
            next: (page < pages).then(|| href(page + 1)),
            pages,
            sizes,
        }
    }
}

/// Units as options grouped by kind (部门 / 乡镇街道 / 园区 / 企业): selects show them as
/// `<optgroup>`s, 协办 as groups of checkboxes.
pub struct UnitGroup {
    pub label: &'static str,
    pub options: Vec<Choice>,
}

/// The units in groups by kind, those in `selected` marked; empty groups left out.
pub fn unit_groups(
    units: &[keyproj_db::repo::org::UnitRow],
    selected: &[keyproj_domain::ids::UnitId],
) -> Vec<UnitGroup> {
    use keyproj_domain::org::UnitKind;
    let groups: [(&'static str, &[UnitKind]); 4] = [
        (
            "部门",
            &[
                UnitKind::CountyGovernment,
                UnitKind::Center,
                UnitKind::Department,
            ],
        ),
        ("乡镇/街道", &[UnitKind::Township]),
        ("园区", &[UnitKind::Park]),
        ("企业/业主", &[UnitKind::Enterprise]),
    ];
    groups
        .iter()
        .map(|(label, kinds)| UnitGroup {
            label,
            options: units
                .iter()
                .filter(|u| kinds.contains(&u.kind))
                .map(|u| Choice::new(u.id, u.name.clone(), selected.contains(&u.id)))
                .collect(),
        })
        .filter(|g| !g.options.is_empty())
        .collect()
}

/// A list's query string with only `keys` that have a value, in that order (the page number and
/// page size left out): what the pager and the export link carry.
pub fn query_of(q: &crate::auth::FormData, keys: &[&str]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for k in keys {
        let v = q.get(k);
        if !v.is_empty() {
            s.append_pair(k, &v);
        }
    }
    s.finish()
}

#[cfg(test)]
mod tests {
    use super::Pager;

    fn labels(page: i64, pages: i64) -> String {
        Pager::new("/x", "", page, pages, None)
            .links
            .iter()
            .map(|l| l.label.clone())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn a_gap_stands_for_two_pages_or_more() {
        assert_eq!(labels(1, 6), "1 2 3 4 5 6", "page 4 is shown, not …");
        assert_eq!(labels(1, 20), "1 2 3 … 19 20");
        assert_eq!(labels(10, 20), "1 2 … 8 9 10 11 12 … 19 20");
        assert_eq!(labels(6, 11), "1 2 3 4 5 6 7 8 9 10 11");
        assert_eq!(labels(1, 1), "1");
    }

    #[test]
    fn an_unusual_page_size_is_listed_as_the_current_one() {
        let sizes = |n: i64| {
            Pager::new("/x", "", 1, 1, Some(n))
                .sizes
                .iter()
                .map(|l| format!("{}{}", l.label, if l.current { "*" } else { "" }))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(sizes(50), "20 50* 100 200");
        assert_eq!(sizes(5), "5* 20 50 100 200");
    }
}
