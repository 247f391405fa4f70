//! Uploaded files: where they are kept (the deployment's object store) and how pictures are made
//! safe. A picture is accepted only if its content is a JPEG, PNG or WebP image (the bytes
//! decide, not the name), within the size limit and its declared pixels; it is decoded with
//! bounded dimensions, at most two at a time, and re-encoded as JPEG — which drops EXIF and GPS
//! — with a thumbnail. Report photos and attachments both come through here.

use crate::{App, Result, ServiceError, field_error};
use bytes::Bytes;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use std::io::Cursor;
use std::sync::Arc;

pub const MAX_UPLOAD: usize = 10 * 1024 * 1024;
const MAX_SIDE: u32 = 12_000;
/// Largest picture decoded, by pixel count from the header (a 50-megapixel camera's photo);
/// a 12000×12000 PNG of zeros is 560 KB on the wire and 576 MB decoded.
pub const MAX_PIXELS: u64 = 50_000_000;
/// Largest decoded buffer (pixels × bytes per pixel), checked from the header.
const MAX_DECODED_BYTES: u64 = 256 * 1024 * 1024;
/// Decodes running at once in the process; further uploads wait their turn, so parallel
/// uploads cannot multiply the memory a decode may take.
const PARALLEL_DECODES: usize = 2;
/// Stored photos are scaled down to this longest side; thumbnails to the next.
const STORED_SIDE: u32 = 2560;
const THUMB_SIDE: u32 = 320;

/// The file store of the deployment: the configured S3-compatible store, else a local
/// directory.
pub fn store(app: &App) -> Result<Arc<dyn ObjectStore>> {
    if let Some(s) = app.files.get() {
        return Ok(s.clone());
    }
    let built = build_store(&app.cfg)?;
    Ok(app.files.get_or_init(|| built).clone())
}

fn build_store(cfg: &crate::Config) -> Result<Arc<dyn ObjectStore>> {
    let err = |e: object_store::Error| ServiceError::internal("打开文件存储", e);
    if let Some(s3) = &cfg.s3 {
        crate::install_tls_provider();
        let store = object_store::aws::AmazonS3Builder::new()
            .with_endpoint(&s3.endpoint)
            .with_bucket_name(&s3.bucket)
            .with_region(&s3.region)
            .with_access_key_id(&s3.access_key_id)
            .with_secret_access_key(&s3.secret_access_key)
            .with_allow_http(s3.endpoint.starts_with("http://"))
            .with_virtual_hosted_style_request(false)
            .build()
            .map_err(err)?;
        return Ok(Arc::new(store));
    }
    std::fs::create_dir_all(&cfg.files_dir)
        .map_err(|e| ServiceError::internal("创建文件目录", e))?;
    let fs = LocalFileSystem::new_with_prefix(&cfg.files_dir).map_err(err)?;
    Ok(Arc::new(fs))
}

/// What the first bytes say the file is.
pub fn sniff(b: &[u8]) -> Option<ImageFormat> {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if b.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(ImageFormat::Png)
    } else if b.len() > 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some(ImageFormat::WebP)
    } else {
        None
    }
}

fn jpeg(img: &DynamicImage, quality: u8) -> Result<Vec<u8>> {
    let mut out = vec![];
    let rgb = img.to_rgb8();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&rgb)
        .map_err(|e| ServiceError::internal("encoding a JPEG", e))?;
    Ok(out)
}

/// A picture larger than [`MAX_PIXELS`], by its declared size.
fn refuse_pixels(w: u32, h: u32) -> Result<()> {
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(field_error(
            "photo",
            "too_many_pixels",
            format!(
                "照片像素过多（{w}×{h}），最多{}万像素，请缩小后再上传",
                MAX_PIXELS / 10_000
            ),
        ));
    }
    Ok(())
}

/// Checks, decodes and re-encodes an upload: (photo, thumbnail, width, height).
pub fn process(bytes: &[u8]) -> Result<(Vec<u8>, Vec<u8>, u32, u32)> {
    if bytes.len() > MAX_UPLOAD {
        return Err(field_error("photo", "too_large", "照片不能超过10 MB"));
    }
    if bytes.is_empty() {
        return Err(field_error("photo", "empty", "照片是空文件，请重新选择"));
    }
    let format = sniff(bytes).ok_or_else(|| {
        field_error(
            "photo",
            "not_an_image",
            "只能上传 JPEG、PNG 或 WebP 格式的照片",
        )
    })?;
    let bad = || {
        field_error(
            "photo",
            "unreadable",
            "照片无法读取（文件可能已损坏或尺寸过大）",
        )
    };
    // a JPEG cut short still decodes (as grey) at full cost: it must end with its EOI marker
    if format == ImageFormat::Jpeg {
        let end = bytes.iter().rposition(|b| *b != 0).unwrap_or(0);
        if end < 1 || bytes[end - 1..=end] != [0xFF, 0xD9] {
            return Err(field_error(
                "photo",
                "truncated",
                "照片文件不完整（可能没有传完），请重新上传",
            ));
        }
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|_| bad())?;
    // Refuse by what the header declares, before any pixel is decoded.
    let (w, h) = decoder.dimensions();
    refuse_pixels(w, h)?;
    if decoder.total_bytes() > MAX_DECODED_BYTES {
        // within the pixels, but 16 bits per channel: too much once decoded
        return Err(field_error(
            "photo",
            "too_deep",
            format!("照片（{w}×{h}）色深过高，解码后过大，请另存为普通的 JPEG 或 8 位 PNG 再上传"),
        ));
    }
    // Keep the picture upright: the orientation is applied, then the metadata dropped.
    let orientation = decoder.orientation().map_err(|_| bad())?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(|_| bad())?;
    img.apply_orientation(orientation);
    if img.width().max(img.height()) > STORED_SIDE {
        // Area averaging into the output size only (a filtered resize would allocate
        // float buffers several times the size of the decoded picture).
        img = img.thumbnail(STORED_SIDE, STORED_SIDE);
    }
    let thumb = img.thumbnail(THUMB_SIDE, THUMB_SIDE);
    Ok((
        jpeg(&img, 85)?,
        jpeg(&thumb, 80)?,
        img.width(),
        img.height(),
    ))
}

/// [`process`] on the blocking pool, at most [`PARALLEL_DECODES`] at a time in the process.
pub async fn process_bounded(bytes: Vec<u8>) -> Result<(Vec<u8>, Vec<u8>, u32, u32)> {
    static DECODES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(PARALLEL_DECODES);
    let _permit = DECODES
        .acquire()
        .await
        .map_err(|e| ServiceError::internal("内部处理", e))?;
    tokio::task::spawn_blocking(move || process(&bytes))
        .await
        .map_err(|e| ServiceError::internal("内部处理", e))?
}

/// Checks what can be checked of a photo without decoding it: size, kind and declared pixels.
pub fn precheck(bytes: &[u8]) -> Result<()> {
    if bytes.len() > MAX_UPLOAD {
        return Err(field_error("photo", "too_large", "照片不能超过10 MB"));
    }
    if bytes.is_empty() {
        return Err(field_error("photo", "empty", "照片是空文件，请重新选择"));
    }
    let format = sniff(bytes).ok_or_else(|| {
        field_error(
            "photo",
            "not_an_image",
            "只能上传 JPEG、PNG 或 WebP 格式的照片",
        )
    })?;
    let reader = ImageReader::with_format(Cursor::new(bytes), format);
    let (w, h) = reader.into_dimensions().map_err(|_| {
        field_error(
            "photo",
            "unreadable",
            "照片无法读取（文件可能已损坏或尺寸过大）",
        )
    })?;
    refuse_pixels(w, h)?;
    Ok(())
}

/// Stores bytes under a key in the deployment's object store.
pub async fn put(app: &App, key: &str, bytes: Vec<u8>) -> Result<()> {
    store(app)?
        .put(&ObjectPath::from(key), PutPayload::from(Bytes::from(bytes)))
        .await
        .map_err(|e| ServiceError::internal("storing a file", e))?;
    Ok(())
}

/// Removes what is stored under a key; a file already gone is not an error.
pub async fn delete(app: &App, key: &str) -> Result<()> {
    match store(app)?.delete(&ObjectPath::from(key)).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(ServiceError::internal("removing a stored file", e)),
    }
}

/// The bytes under a key if there are any: a cache lookup, where absence is normal (no warning).
pub async fn get_if_any(app: &App, key: &str) -> Result<Option<Vec<u8>>> {
    match store(app)?.get(&ObjectPath::from(key)).await {
        Ok(got) => Ok(Some(
            got.bytes()
                .await
                .map_err(|e| ServiceError::internal("reading a stored file", e))?
                .to_vec(),
        )),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(ServiceError::internal("reading a stored file", e)),
    }
}

/// The bytes stored under a key (NotFound when they are gone; an error of the store is an
/// internal error, logged with its cause).
pub async fn get(app: &App, key: &str) -> Result<Vec<u8>> {
    let got = store(app)?
        .get(&ObjectPath::from(key))
        .await
        .map_err(|e| match e {
            // the row names a file the store does not have: gone, as a page sees it
            object_store::Error::NotFound { .. } => {
                tracing::warn!(key, "a stored file is missing");
                ServiceError::NotFound
            }
            // a store that does not answer (disk, permissions, S3 credentials) is ours to fix
            e => ServiceError::internal("reading a stored file", e),
        })?;
    Ok(got
        .bytes()
        .await
        .map_err(|e| ServiceError::internal("reading a stored file", e))?
        .to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_photo_is_called_empty_not_the_wrong_kind() {
        for e in [precheck(&[]).unwrap_err(), process(&[]).unwrap_err()] {
            assert!(e.to_string().contains("空文件"), "{e}");
        }
    }

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 255) as u8, (y % 255) as u8, 128])
        });
        let mut out = Cursor::new(vec![]);
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut out, ImageFormat::Png)
            .unwrap();
        out.into_inner()
    }

    #[test]
    fn content_decides_not_the_name() {
        assert_eq!(sniff(&png(4, 4)), Some(ImageFormat::Png));
        assert_eq!(sniff(b"<svg xmlns=..."), None);
        assert_eq!(sniff(b"GIF89a"), None);
        let e = process(b"%PDF-1.7").unwrap_err();
        assert!(matches!(e, ServiceError::Validation(v) if v.0[0].code == "not_an_image"));
    }

    #[test]
    fn re_encodes_scales_and_thumbnails() {
        let (photo, thumb, w, h) = process(&png(3000, 1500)).unwrap();
        assert_eq!((w, h), (2560, 1280));
        assert_eq!(sniff(&photo), Some(ImageFormat::Jpeg));
        let t = image::load_from_memory(&thumb).unwrap();
        assert_eq!((t.width(), t.height()), (320, 160));
        // the stored JPEG carries no EXIF segment
        assert!(!photo.windows(4).any(|w| w == b"Exif"));
    }

    /// A PNG of `w`×`h` RGBA pixels, all zero, built as a stream (small on the wire, huge once
    /// decoded) without ever holding the pixels in memory.
    fn png_of_zeros(w: u32, h: u32) -> Vec<u8> {
        use std::io::Write;
        fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
            out.extend_from_slice(&(data.len() as u32).to_be_bytes());
            let mut crc = crc32fast::Hasher::new();
            crc.update(kind);
            crc.update(data);
            out.extend_from_slice(kind);
            out.extend_from_slice(data);
            out.extend_from_slice(&crc.finalize().to_be_bytes());
        }
        let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        let mut ihdr = vec![];
        ihdr.extend_from_slice(&w.to_be_bytes());
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8 bits, RGBA
        chunk(&mut out, b"IHDR", &ihdr);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        let row = vec![0u8; 1 + 4 * w as usize]; // filter byte + pixels
        for _ in 0..h {
            z.write_all(&row).unwrap();
        }
        chunk(&mut out, b"IDAT", &z.finish().unwrap());
        chunk(&mut out, b"IEND", &[]);
        out
    }

    #[test]
    fn a_decompression_bomb_is_refused_from_its_header() {
        // 12000×12000 RGBA of zeros: small on the wire, 576 MB once decoded
        let bomb = png_of_zeros(12_000, 12_000);
        assert!(bomb.len() < MAX_UPLOAD);
        let e = process(&bomb).unwrap_err();
        assert!(
            matches!(&e, ServiceError::Validation(v) if v.0[0].code == "too_many_pixels" && v.0[0].message.contains("12000×12000")),
            "{e:?}"
        );
    }

    #[test]
    fn a_jpeg_cut_short_is_refused() {
        let img = image::DynamicImage::ImageRgb8(image::RgbImage::new(64, 64));
        let mut out = Cursor::new(vec![]);
        img.write_to(&mut out, ImageFormat::Jpeg).unwrap();
        let full = out.into_inner();
        assert!(process(&full).is_ok());
        let cut = &full[..full.len() - 40];
        assert!(
            matches!(process(cut), Err(ServiceError::Validation(v)) if v.0[0].code == "truncated")
        );
    }

    #[test]
    fn refuses_truncated_and_oversized() {
        let mut p = png(50, 50);
        p.truncate(60);
        assert!(process(&p).is_err());
        assert!(
            matches!(process(&vec![0xFF; MAX_UPLOAD + 1]), Err(ServiceError::Validation(v)) if v.0[0].code == "too_large")
        );
    }
}
