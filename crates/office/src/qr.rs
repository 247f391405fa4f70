//! QR codes as SVG, drawn on the server (the survey slips): no script, no fetch.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// The link as an inline `<svg>` (no XML declaration, so it can sit in a page), or None when
/// the text is too long for a QR code.
pub fn qr_svg(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(160, 160)
        .quiet_zone(true)
        .build();
    let at = image.find("<svg")?;
    Some(image[at..].replacen("<svg ", "<svg class=\"qr\" role=\"img\" ", 1))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_link_is_drawn_as_inline_svg() {
        let s = super::qr_svg("http://127.0.0.1:8080/survey/1-1-0123456789abcdef0123").unwrap();
        assert!(s.starts_with("<svg class=\"qr\""));
        assert!(!s.contains("<?xml"));
        assert!(s.contains("<path"));
        assert!(super::qr_svg(&"x".repeat(5000)).is_none());
    }
}
