//! The bytes of a video's renditions, computed rather than stored.
//!
//! The MP4 is an `ftyp` box and one `mdat` box whose payload is a pure function of the
//! video's seed and the offset, so any range of a 50 MB body can be produced on its own
//! without the rest ever existing. The JPEGs are small real images (decodable, 96x54 and
//! 192x54) with a comment segment naming the video, so each video's differ.

use warp::hyper::body::Bytes;

use super::job::Video;
use super::request::Variant;
use crate::ids::mix;

/// The still served as `thumbnail`.
const THUMBNAIL_JPEG: &[u8] = include_bytes!("assets/thumbnail.jpg");
/// The frame grid served as `spritesheet`.
const SPRITESHEET_JPEG: &[u8] = include_bytes!("assets/spritesheet.jpg");
/// `ftyp` box: ISO base media, compatible with the brands players sniff for.
const FTYP: [u8; 32] = *b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41";
/// The `ftyp` box and the `mdat` box header.
const MP4_HEADER_LEN: u64 = FTYP.len() as u64 + 8;

/// One rendition of one video.
#[derive(Clone, Debug)]
pub(crate) enum Content {
    /// The `video` variant: `len` bytes of MP4 whose payload `seed` decides.
    Mp4 { seed: u64, len: u64 },
    /// A JPEG, small enough to keep whole.
    Jpeg(Bytes),
}

impl Content {
    /// The `variant` of `video`; the MP4 is `video_bytes` long (at least its box headers).
    pub(crate) fn of(video: &Video, variant: Variant, video_bytes: usize) -> Content {
        match variant {
            Variant::Video => Content::Mp4 {
                seed: video.seed,
                len: (video_bytes as u64).max(MP4_HEADER_LEN),
            },
            Variant::Thumbnail => Content::Jpeg(jpeg_naming(THUMBNAIL_JPEG, &video.id)),
            Variant::Spritesheet => Content::Jpeg(jpeg_naming(SPRITESHEET_JPEG, &video.id)),
        }
    }

    /// Length of the whole body.
    pub(crate) fn len(&self) -> u64 {
        match self {
            Content::Mp4 { len, .. } => *len,
            Content::Jpeg(bytes) => bytes.len() as u64,
        }
    }

    /// Bytes `start..end` of the body (`end` at most [`Content::len`]).
    pub(crate) fn read(&self, start: u64, end: u64) -> Bytes {
        match self {
            Content::Jpeg(bytes) => bytes.slice(start as usize..end as usize),
            Content::Mp4 { seed, len } => {
                let mut out = vec![0; (end - start) as usize];
                let header = mp4_header(*len);
                let in_header = (end.min(MP4_HEADER_LEN)).saturating_sub(start) as usize;
                if in_header > 0 {
                    out[..in_header].copy_from_slice(&header[start as usize..][..in_header]);
                }
                fill_payload(*seed, start + in_header as u64, &mut out[in_header..]);
                Bytes::from(out)
            }
        }
    }
}

/// `ftyp` then the `mdat` header; a payload past 4 GiB gets size 0 ("to the end of the
/// file"), which ISO BMFF allows for the last box.
fn mp4_header(len: u64) -> [u8; MP4_HEADER_LEN as usize] {
    let mut header = [0; MP4_HEADER_LEN as usize];
    header[..FTYP.len()].copy_from_slice(&FTYP);
    let mdat_len = u32::try_from(len - FTYP.len() as u64).unwrap_or(0);
    header[FTYP.len()..FTYP.len() + 4].copy_from_slice(&mdat_len.to_be_bytes());
    header[FTYP.len() + 4..].copy_from_slice(b"mdat");
    header
}

/// The payload bytes from offset `start`: each aligned 8 bytes are one scrambled word, so a
/// byte depends only on the seed and its offset.
fn fill_payload(seed: u64, start: u64, out: &mut [u8]) {
    let (mut at, mut done) = (start, 0);
    while done < out.len() {
        let word = mix(seed ^ (at / 8)).to_le_bytes();
        let skip = (at % 8) as usize;
        let n = (8 - skip).min(out.len() - done);
        out[done..done + n].copy_from_slice(&word[skip..skip + n]);
        done += n;
        at += n as u64;
    }
}

/// `jpeg` with a comment segment holding `id`, placed after the JFIF `APP0` segment (which
/// must follow the start-of-image marker directly).
fn jpeg_naming(jpeg: &[u8], id: &str) -> Bytes {
    let app0_end = match jpeg {
        [0xFF, 0xD8, 0xFF, 0xE0, hi, lo, ..] => 4 + usize::from(u16::from_be_bytes([*hi, *lo])),
        _ => 2,
    };
    let comment = &id.as_bytes()[..id.len().min(1000)];
    let mut out = Vec::with_capacity(jpeg.len() + comment.len() + 4);
    out.extend_from_slice(&jpeg[..app0_end]);
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&(comment.len() as u16 + 2).to_be_bytes());
    out.extend_from_slice(comment);
    out.extend_from_slice(&jpeg[app0_end..]);
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::{Content, THUMBNAIL_JPEG, jpeg_naming};

    #[test]
    fn the_mp4_starts_with_ftyp_and_mdat_and_any_range_matches_the_whole() {
        let mp4 = Content::Mp4 { seed: 7, len: 1000 };
        let whole = mp4.read(0, 1000);
        assert_eq!(&whole[4..12], b"ftypisom");
        assert_eq!(
            &whole[32..40],
            b"\0\0\x03\xc8mdat",
            "mdat spans the rest: 968 bytes"
        );
        for (start, end) in [(0, 1), (3, 45), (39, 40), (41, 999), (500, 1000)] {
            assert_eq!(
                mp4.read(start, end),
                whole.slice(start as usize..end as usize)
            );
        }
        assert_ne!(
            Content::Mp4 { seed: 8, len: 1000 }.read(40, 100),
            whole.slice(40..100)
        );
    }

    #[test]
    fn jpegs_keep_jfif_first_and_name_the_video() {
        let named = jpeg_naming(THUMBNAIL_JPEG, "video_abc");
        assert_eq!(&named[..4], &[0xFF, 0xD8, 0xFF, 0xE0]);
        assert_eq!(&named[6..11], b"JFIF\0");
        assert_eq!(&named[20..24], &[0xFF, 0xFE, 0, 11]);
        assert_eq!(&named[24..33], b"video_abc");
        assert_eq!(&named[33..], &THUMBNAIL_JPEG[20..]);
        assert_eq!(
            &named[named.len() - 2..],
            &[0xFF, 0xD9],
            "ends with end-of-image"
        );
    }
}
