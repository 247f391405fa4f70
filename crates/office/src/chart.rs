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
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" style="max-width:{w}px" role="img" aria-label="柱状图">"#,
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

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_labels() {
        let s = super::bar_svg(&[("<b>".into(), 3.0), ("在建".into(), 5.0)], "个");
        assert!(s.contains("&lt;b&gt;") && !s.contains("<b>"));
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
    }
}
