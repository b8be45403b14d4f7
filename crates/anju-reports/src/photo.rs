//! Photos of a project's 形象进度: checked to be a JPEG or PNG within the
//! size allowed, their capture time and place read from EXIF, and
//! re-encoded (a JPEG of at most 1600 pixels a side and a 320-pixel
//! thumbnail, without the upload's metadata): what is served is never the
//! upload itself. Bytes in, bytes out.

use std::io::Cursor;

/// The largest photo taken, in bytes.
pub const MAX_PHOTO_BYTES: usize = 8 * 1024 * 1024;
/// The most pixels a photo may have once decoded (a small file can claim a
/// huge picture).
pub const MAX_PIXELS: u64 = 40_000_000;

/// A photo checked and re-encoded.
#[derive(Clone, Debug)]
pub struct Photo {
    /// The re-encoded photo (JPEG).
    pub image: Vec<u8>,
    /// Its thumbnail (JPEG).
    pub thumb: Vec<u8>,
    /// The size of the original, in pixels.
    pub width: u32,
    /// The size of the original, in pixels.
    pub height: u32,
    /// When it was taken, as the camera wrote it (`2026-11-28 14:03:22`).
    pub taken: Option<String>,
    /// Where (latitude, longitude in degrees, north and east positive).
    pub place: Option<(f64, f64)>,
}

/// Why a photo is refused, in words.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PhotoError {
    /// Too large a file.
    #[error("照片“{name}”有 {mb:.1} MB,超过 {max} MB 的上限;请压缩或在手机上选“标准”画质后再传")]
    TooLarge {
        /// The file's name.
        name: String,
        /// Its size in MB.
        mb: f64,
        /// The limit in MB.
        max: usize,
    },
    /// Not a JPEG or PNG.
    #[error("“{0}”不是 JPEG 或 PNG 照片")]
    NotAPhoto(String),
    /// A JPEG or PNG that cannot be read.
    #[error("照片“{0}”已损坏,无法读取")]
    Broken(String),
    /// Too many pixels.
    #[error("照片“{0}”的像素过多(超过 4000 万),请缩小后再传")]
    TooManyPixels(String),
}

/// Checks, reads and re-encodes a photo named `name`.
pub fn take(name: &str, bytes: &[u8]) -> Result<Photo, PhotoError> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge {
            name: name.to_string(),
            mb: bytes.len() as f64 / 1_048_576.0,
            max: MAX_PHOTO_BYTES / 1_048_576,
        });
    }
    let format = match bytes {
        [0xFF, 0xD8, 0xFF, ..] => image::ImageFormat::Jpeg,
        [0x89, b'P', b'N', b'G', ..] => image::ImageFormat::Png,
        _ => return Err(PhotoError::NotAPhoto(name.to_string())),
    };
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits_for());
    let (width, height) = reader
        .into_dimensions()
        .map_err(|_| PhotoError::Broken(name.to_string()))?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(PhotoError::TooManyPixels(name.to_string()));
    }
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits_for());
    let picture = reader
        .decode()
        .map_err(|_| PhotoError::Broken(name.to_string()))?;
    let (taken, place) = exif_of(bytes);
    let encode = |side: u32| -> Result<Vec<u8>, PhotoError> {
        let small = if picture.width().max(picture.height()) > side {
            picture.thumbnail(side, side)
        } else {
            picture.clone()
        };
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(small.to_rgb8())
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Jpeg)
            .map_err(|_| PhotoError::Broken(name.to_string()))?;
        Ok(out)
    };
    Ok(Photo {
        image: encode(1600)?,
        thumb: encode(320)?,
        width,
        height,
        taken,
        place,
    })
}

fn limits_for() -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 4 + 64 * 1024 * 1024);
    limits
}

/// The capture time and place EXIF gives, if any.
fn exif_of(bytes: &[u8]) -> (Option<String>, Option<(f64, f64)>) {
    let Ok(data) = exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) else {
        return (None, None);
    };
    let text = |tag| {
        data.get_field(tag, exif::In::PRIMARY)
            .map(|f| f.display_value().to_string())
    };
    let taken = text(exif::Tag::DateTimeOriginal)
        .or_else(|| text(exif::Tag::DateTime))
        .filter(|t| t.len() >= 10 && !t.starts_with("0000"));
    let degrees = |tag, sign_tag, negative: u8| -> Option<f64> {
        let f = data.get_field(tag, exif::In::PRIMARY)?;
        let exif::Value::Rational(r) = &f.value else {
            return None;
        };
        if r.len() < 3 {
            return None;
        }
        let v = r[0].to_f64() + r[1].to_f64() / 60.0 + r[2].to_f64() / 3600.0;
        let sign = data
            .get_field(sign_tag, exif::In::PRIMARY)
            .and_then(|s| match &s.value {
                exif::Value::Ascii(a) => a.first().and_then(|x| x.first().copied()),
                _ => None,
            });
        Some(if sign == Some(negative) { -v } else { v })
    };
    let place = degrees(exif::Tag::GPSLatitude, exif::Tag::GPSLatitudeRef, b'S').zip(degrees(
        exif::Tag::GPSLongitude,
        exif::Tag::GPSLongitudeRef,
        b'W',
    ));
    (taken, place)
}

/// The date (`YYYY-MM-DD`) of an EXIF time (`2026-11-28 14:03:22`, or the
/// raw `2026:11:28 14:03:22`).
pub fn taken_date(taken: &str) -> Option<String> {
    let d = taken.get(..10)?.replace(':', "-");
    (d.len() == 10).then_some(d)
}

/// A JPEG of `w` × `h` pixels whose EXIF says it was taken at `taken`
/// (`2026:11:28 14:03:22`) at `place` (latitude, longitude): for the tests
/// and the demo, which need photos as phones make them.
pub fn jpeg_with_exif(w: u32, h: u32, taken: &str, place: Option<(f64, f64)>) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 120])
    });
    let mut jpeg = Vec::new();
    if image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
        .is_err()
    {
        return jpeg;
    }
    let rational = |v: f64| {
        let deg = v.abs().trunc();
        let min = ((v.abs() - deg) * 60.0).trunc();
        let sec = ((v.abs() - deg) * 60.0 - min) * 60.0;
        vec![
            exif::Rational::from((deg as u32, 1)),
            exif::Rational::from((min as u32, 1)),
            exif::Rational::from(((sec * 100.0).round() as u32, 100)),
        ]
    };
    let field = |tag, value| exif::Field {
        tag,
        ifd_num: exif::In::PRIMARY,
        value,
    };
    let mut fields = vec![field(
        exif::Tag::DateTimeOriginal,
        exif::Value::Ascii(vec![taken.as_bytes().to_vec()]),
    )];
    if let Some((lat, lon)) = place {
        let ns = if lat < 0.0 { b"S" } else { b"N" };
        let ew = if lon < 0.0 { b"W" } else { b"E" };
        fields.push(field(
            exif::Tag::GPSLatitudeRef,
            exif::Value::Ascii(vec![ns.to_vec()]),
        ));
        fields.push(field(
            exif::Tag::GPSLatitude,
            exif::Value::Rational(rational(lat)),
        ));
        fields.push(field(
            exif::Tag::GPSLongitudeRef,
            exif::Value::Ascii(vec![ew.to_vec()]),
        ));
        fields.push(field(
            exif::Tag::GPSLongitude,
            exif::Value::Rational(rational(lon)),
        ));
    }
    let mut writer = exif::experimental::Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut tiff = Cursor::new(Vec::new());
    if writer.write(&mut tiff, false).is_err() {
        return jpeg;
    }
    let tiff = tiff.into_inner();
    // APP1 "Exif\0\0" right after the start of image.
    let len = u16::try_from(tiff.len() + 8).unwrap_or(u16::MAX);
    let mut out = Vec::with_capacity(jpeg.len() + tiff.len() + 10);
    out.extend_from_slice(&jpeg[..2]);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 120, 40]));
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn a_photo_is_re_encoded_with_a_thumbnail() {
        let p = take("现场.png", &png(2000, 1000)).unwrap();
        assert_eq!((p.width, p.height), (2000, 1000));
        assert!(p.image.starts_with(&[0xFF, 0xD8]), "a JPEG");
        let small = image::load_from_memory(&p.thumb).unwrap();
        assert_eq!((small.width(), small.height()), (320, 160));
        assert_eq!(p.taken, None, "a PNG without EXIF");
    }

    #[test]
    fn the_capture_time_and_place_are_read_and_the_metadata_dropped() {
        let phone = jpeg_with_exif(640, 480, "2026:11:28 14:03:22", Some((30.5097, 120.6808)));
        let p = take("现场.jpg", &phone).unwrap();
        assert_eq!(p.taken.as_deref(), Some("2026-11-28 14:03:22"));
        let (lat, lon) = p.place.unwrap();
        assert!(
            (lat - 30.5097).abs() < 1e-4 && (lon - 120.6808).abs() < 1e-4,
            "{lat} {lon}"
        );
        let kept = take("再传.jpg", &p.image).unwrap();
        assert_eq!(
            (kept.taken, kept.place),
            (None, None),
            "served without EXIF"
        );
        assert_eq!((p.width, p.height), (640, 480));
    }

    #[test]
    fn what_is_not_a_photo_is_refused_in_words() {
        assert_eq!(
            take("说明.pdf", b"%PDF-1.7 ...").unwrap_err(),
            PhotoError::NotAPhoto("说明.pdf".into())
        );
        let mut broken = png(10, 10);
        broken.truncate(40);
        assert!(matches!(
            take("坏.png", &broken),
            Err(PhotoError::Broken(_))
        ));
        let big = vec![0xFFu8; MAX_PHOTO_BYTES + 1];
        let e = take("大.jpg", &big).unwrap_err();
        assert!(e.to_string().contains("超过 8 MB"), "{e}");
        assert_eq!(
            taken_date("2026:11:28 14:03:22").as_deref(),
            Some("2026-11-28")
        );
    }
}
