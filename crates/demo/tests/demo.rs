//! The demo county states the reference year's figures itself, on both engines.

use keyproj_db::testing::TestDb;
use keyproj_domain::RegionCode;
use keyproj_service::dispatch::colour;
use keyproj_service::{App, Config, stats};

#[tokio::test]
async fn demo_states_the_reference_figures() {
    for t in TestDb::all().await {
        let app = App::new(t.db.clone(), Config::default());
        let accounts = keyproj_demo::load(&app).await.unwrap();
        assert_eq!(accounts.0.len(), 7, "one account per role");
        let region = RegionCode::parse("430922").unwrap();
        let s = stats::annual(&app, &region, 2022).await.unwrap();
        assert_eq!(
            s.text,
            vec![
                "45个在建重点项目完成投资38.2亿元，占年投资计划98%",
                "金易物流园建设项目、桃江县生活垃圾焚烧发电项目、梅林寺骨干水库工程、桃花江水库除险加固工程、桃江农商城一期、桑田教育综合体、高胜铝材扩建项目、紫金湾九年一贯制学校、大屋山110KV变电站、盈达门业生产线项目等23个项目完成建设",
                "23个在库前期项目预计总投资194.2778亿元，石洞矿区建筑用板岩矿、紫荆新材料产业园、县殡仪馆整体搬迁项目、新兴管件二期、桃花江流域生态治理工程等5个项目落地开工建设",
                "召开各类调度会议72次，编发《重点项目建设简报》4期，交办会议和简报确定事项52项",
                "对5个已建成项目落实帮扶措施，帮助解决问题16个",
                "招商引资3次集中签约共签约项目40个，对达到纳入重点项目调度门槛的28个签约项目扎实做好重点项目政务事项帮代办服务，累计为各重点项目办理政务服务事项130余项，其中12个项目落地开工建设，16个项目正在全力以赴推进前期工作",
                "全年收集项目建设问题78个，交办78个，办结78个，交办事项办结率100%",
            ]
        );
        // the pipeline's reference figures: 3 events, 40 signed, 28 above, 130+ items, 12, 16
        assert_eq!(
            (
                s.signing.events,
                s.signing.signed,
                s.signing.above_threshold,
                s.signing.started,
                s.signing.preliminary
            ),
            (3, 40, 28, 12, 16)
        );
        assert!(
            (130..140).contains(&s.approvals.handled),
            "{:?}",
            s.approvals
        );
        // the reference: 70+ meetings, 50+ tasks, 16 problems solved for 后扶 projects
        assert_eq!(s.meetings.count, 72);
        assert_eq!(s.problems.assigned_by_meetings, 52);
        // "共计编发《重点项目建设简报》四期": four issued, each assigning one task
        assert_eq!((s.briefings.count, s.briefings.tasks_assigned), (4, 4));
        // their blocks froze the year as it stood: the colour table of the month before, the
        // signings
        let staff = keyproj_service::Ctx::system(region.clone());
        let issues = keyproj_service::briefings::of_year(&app, &staff, 2022)
            .await
            .unwrap();
        let block_text = |seq: i64| {
            let b = issues.iter().find(|b| b.seq == Some(seq)).unwrap();
            serde_json::to_string(&b.content.sections[1]).unwrap()
        };
        assert!(block_text(2).contains("截至2022年5月"), "{}", block_text(2));
        assert!(!block_text(1).contains("签约项目0个"), "{}", block_text(1));
        // the center's own year: 投入10 / 过程30 / 产出30 / 效果30 = 100 → 优
        let y = keyproj_service::evaluation::evaluate(&app, &staff, 2022)
            .await
            .unwrap();
        let l1: Vec<i64> = y.evaluation.l1.iter().filter_map(|l| l.2).collect();
        assert_eq!(l1, [1000, 3000, 3000, 3000]);
        assert_eq!(
            (y.evaluation.total, y.evaluation.grade.as_str()),
            (10000, "优")
        );
        // every leaf fed: the reports' timeliness, the tables' cadence from May (founded), the
        // survey's 12 answers
        assert_eq!(
            (
                y.records.reports_on_time,
                y.records.colour_tables,
                y.records.satisfaction
            ),
            (Some(10000), Some(10000), Some(10000))
        );
        assert!(y.evaluation.leaves.iter().all(|l| l.4.points.is_some()));
        // the report reproduces the reference's figures from the records
        let r = keyproj_service::evaluation::report(&app, &staff, 2022)
            .await
            .unwrap();
        let text = serde_json::to_string(&r.doc.blocks).unwrap();
        for want in [
            "2022年度收入92.67万元，其中一般公共预算财政拨款92.67万元。",
            "基本支出74.68万元（因单位年中成立，无往年数据对比），其中工资福利支出30.18万元",
            "一是45个在建重点项目完成投资38.2亿元，占年投资计划98%",
            "编发《重点项目建设简报》4期",
            "全年张榜公示9期",
            "共发放问卷30份，收回12份，满意度100%",
            "投入绩效为10分，过程绩效为30分，产出绩效为30分，效果绩效为30分，总绩效为100分。评价结果等次为“优”。",
        ] {
            assert!(text.contains(want), "missing {want}: {text}");
        }
        assert_eq!(s.post_support.problems_closed, 16);
        assert_eq!(
            (s.problems.raised, s.problems.closed, s.problems.overdue),
            (78, 78, 0)
        );
        assert_eq!(
            s.under_construction.completion_rate_pct.as_deref(),
            Some("98.0")
        );
        // Taojiang published nine colour tables in 2022
        let issues = colour::issues(&app, &region).await.unwrap();
        assert_eq!(issues.len(), 9);
        assert_eq!(issues.iter().map(|i| i.number).max(), Some(9));
        let last = colour::latest(&app, &region).await.unwrap().unwrap();
        assert_eq!(last.title, "桃江县2022年重点建设项目进度分色表（第9期）");
        assert_eq!(last.rows.len(), 73);
        assert!(
            keyproj_demo::load(&app).await.is_err(),
            "the demo loads only into an empty database"
        );
    }
}
