//! Small server-rendered SVG charts (no script, printable).

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar chart of labelled values.
pub fn bar_svg(items: &[(String, f64)], unit: &str) -> String {
    if items.is_empty() {
        return String::new();
    }
    let max = items.iter().map(|i| i.1).fold(0.0f64, f64::max).max(1.0);
    let row = 28.0;
    let (label_w, bar_w) = (110.0, 420.0);
    let h = items.len() as f64 * row + 10.0;
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" class="chart" role="img" aria-label="柱状图">"#,
        w = label_w + bar_w + 90.0,
        h = h
    );
    for (i, (label, v)) in items.iter().enumerate() {
        let y = 5.0 + i as f64 * row;
        let w = (v / max) * bar_w;
        s.push_str(&format!(
            r##"<text x="{lx}" y="{ty}" text-anchor="end" font-size="13" fill="#1d2733">{l}</text><rect x="{bx}" y="{y}" width="{w:.1}" height="18" fill="#1f4e8c"/><text x="{vx:.1}" y="{ty}" font-size="12" fill="#1d2733">{v}{u}</text>"##,
            lx = label_w - 8.0,
            ty = y + 14.0,
            l = esc(label),
            bx = label_w,
            y = y,
            w = w,
            vx = label_w + w + 6.0,
            v = v,
            u = esc(unit)
        ));
    }
    s.push_str("</svg>");
    s
}

/// A line chart of series over `x_labels`; missing points (None) end a series' line.
/// Each series: (name, colour as #rrggbb, dashed, values).
/// The step of four round ticks (1, 2, 2.5 or 5 times a power of ten) that reach `max`.
fn nice_step(max: f64) -> f64 {
    let raw = (max / 4.0).max(f64::MIN_POSITIVE);
    if !raw.is_finite() || max <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude)
}

/// A tick's label: whole numbers without decimals, 2.5-steps with one.
fn tick_label(v: f64, step: f64) -> String {
    if v == 0.0 || step.fract() == 0.0 {
        format!("{v:.0}")
    } else if (step * 10.0).fract().abs() < 1e-9 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

pub fn line_svg(
    x_labels: &[String],
    series: &[(&str, &str, bool, Vec<Option<f64>>)],
    unit: &str,
) -> String {
    let (w, h, left, right, top, bottom) = (640.0, 280.0, 70.0, 20.0, 20.0, 50.0);
    let step = nice_step(
        series
            .iter()
            .flat_map(|s| s.3.iter().flatten())
            .fold(0.0f64, |a, b| a.max(*b)),
    );
    // the axis ends on a round tick (0/10/20/30/40), never on the data's maximum
    let max = step * 4.0;
    let n = x_labels.len().max(2) as f64;
    let x = |i: usize| left + (w - left - right) * i as f64 / (n - 1.0);
    let y = |v: f64| top + (h - top - bottom) * (1.0 - v / max);
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" class="chart" role="img" aria-label="折线图">"#
    );
    for k in 0..=4 {
        let v = step * k as f64;
        let label = tick_label(v, step);
        s.push_str(&format!(
            r##"<line x1="{left}" x2="{x2}" y1="{yy:.1}" y2="{yy:.1}" stroke="#e0e0e0"/><text x="{tx}" y="{ty:.1}" font-size="11" text-anchor="end" fill="#5e6b7a">{label}</text>"##,
            x2 = w - right,
            yy = y(v),
            tx = left - 6.0,
            ty = y(v) + 4.0
        ));
    }
    for (i, l) in x_labels.iter().enumerate() {
        s.push_str(&format!(r##"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle" fill="#5e6b7a">{}</text>"##, x(i), h - bottom + 16.0, esc(l)));
    }
    s.push_str(&format!(
        r##"<text x="6" y="{}" font-size="11" fill="#5e6b7a">{}</text>"##,
        top - 6.0,
        esc(unit)
    ));
    for (si, (name, colour, dashed, values)) in series.iter().enumerate() {
        let pts: Vec<String> = values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", x(i), y(v))))
            .collect();
        if !pts.is_empty() {
            s.push_str(&format!(
                r#"<polyline fill="none" stroke="{colour}" stroke-width="2.5"{} points="{}"/>"#,
                if *dashed {
                    r#" stroke-dasharray="6 4""#
                } else {
                    ""
                },
                pts.join(" ")
            ));
        }
        let lx = left + si as f64 * 150.0;
        s.push_str(&format!(
            r##"<line x1="{lx}" x2="{:.0}" y1="{ly}" y2="{ly}" stroke="{colour}" stroke-width="3"{}/><text x="{:.0}" y="{}" font-size="12" fill="#1d2733">{}</text>"##,
            lx + 24.0,
            if *dashed { r#" stroke-dasharray="6 4""# } else { "" },
            lx + 30.0,
            h - 8.0,
            esc(name),
            ly = h - 12.0
        ));
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn axes_end_on_round_ticks() {
        use super::{line_svg, nice_step, tick_label};
        let ticks = |max: f64| {
            (0..=4)
                .map(|k| tick_label(nice_step(max) * k as f64, nice_step(max)))
                .collect::<Vec<_>>()
        };
        assert_eq!(ticks(38.2), ["0", "10", "20", "30", "40"]);
        assert_eq!(ticks(39.0), ["0", "10", "20", "30", "40"]);
        assert_eq!(ticks(7.0), ["0", "2", "4", "6", "8"]);
        assert_eq!(ticks(9.5), ["0", "2.5", "5.0", "7.5", "10.0"]);
        assert_eq!(ticks(0.0), ["0", "1", "2", "3", "4"]);
        assert_eq!(
            ticks(120000.0),
            ["0", "50000", "100000", "150000", "200000"]
        );
        let svg = line_svg(
            &["1月".to_string(), "2月".to_string()],
            &[("计划", "#888", true, vec![Some(1.0), Some(38.2)])],
            "亿元",
        );
        assert!(
            svg.contains(">40</text>") && !svg.contains(">39</text>"),
            "{svg}"
        );
    }
    #[test]
    fn line_chart_skips_missing_points() {
        let labels: Vec<String> = (1..=12).map(|m| format!("{m}月")).collect();
        let s = super::line_svg(
            &labels,
            &[
                (
                    "计划",
                    "#999999",
                    true,
                    (1..=12).map(|m| Some(m as f64)).collect(),
                ),
                (
                    "完成",
                    "#1f4e8c",
                    false,
                    (1..=12).map(|m| (m <= 6).then_some(m as f64)).collect(),
                ),
            ],
            "万元",
        );
        assert_eq!(s.matches("<polyline").count(), 2);
        let actual = s.split("<polyline").nth(2).unwrap();
        assert_eq!(
            actual
                .split("points=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .split(' ')
                .count(),
            6
        );
    }

    #[test]
    fn escapes_labels() {
        let s = super::bar_svg(&[("<b>".into(), 3.0), ("在建".into(), 5.0)], "个");
        assert!(s.contains("&lt;b&gt;") && !s.contains("<b>"));
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
    }
}
