//! The files a finished song points at when [`super::MockConfig::serve_media`] is on: a small
//! real WAV per clip (`GET /media/{clip}.wav`) and a cover image (`GET /media/{clip}.jpeg`),
//! so a browser's `<audio>` and `<img>` have something they can decode without the network.
//!
//! No secret is asked (Suno's CDN asks none either) and nothing is counted: these are not
//! Suno-API calls.

use std::sync::OnceLock;
use warp::http::header::{ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE};
use warp::http::{HeaderValue, StatusCode};

use warp::reply::Response;
use warp::{Filter, Rejection, Reply};

use crate::range::{Ranged, resolve};

/// The cover of every clip: the video mock's thumbnail, a real 96x54 JPEG.
const COVER_JPEG: &[u8] = include_bytes!("../video/assets/thumbnail.jpg");
/// Samples per second of the WAV.
const SAMPLE_RATE: u32 = 8_000;
/// Its length: one second.
const SAMPLES: u32 = SAMPLE_RATE;
/// The tone, in Hz.
const TONE_HZ: f64 = 440.0;

/// The path of clip `id`'s audio on this mock.
pub(crate) fn audio_path(id: &str) -> String {
    format!("/media/{id}.wav")
}

/// The path of clip `id`'s cover on this mock.
pub(crate) fn cover_path(id: &str) -> String {
    format!("/media/{id}.jpeg")
}

/// `GET /media/{clip}.wav` or `GET /media/{clip}.jpeg`, with an optional `Range`.
pub(crate) fn media_route() -> impl Filter<Extract = (Response,), Error = Rejection> + Clone {
    warp::path!("media" / String)
        .and(warp::get())
        .and(warp::header::optional::<String>("range"))
        .and_then(|name: String, range: Option<String>| async move {
            match file(&name) {
                Some((content_type, body)) => Ok(serve(content_type, body, range.as_deref())),
                None => Err(warp::reject::not_found()),
            }
        })
}

/// The content type and bytes of a media file name, if it is one.
fn file(name: &str) -> Option<(&'static str, &'static [u8])> {
    let (stem, extension) = name.rsplit_once('.')?;
    if stem.is_empty() {
        return None;
    }
    match extension {
        "wav" => Some(("audio/wav", tone())),
        "jpeg" => Some(("image/jpeg", COVER_JPEG)),
        _ => None,
    }
}

/// `body` whole, or the one range asked for (media players ask `bytes=0-` first).
fn serve(content_type: &str, body: &[u8], range: Option<&str>) -> Response {
    let len = body.len() as u64;
    let (status, start, end) = match resolve(range, len) {
        Ranged::Whole => (StatusCode::OK, 0, len),
        Ranged::Part { start, last } => (StatusCode::PARTIAL_CONTENT, start, last + 1),
        Ranged::Unsatisfiable => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            insert(&mut response, CONTENT_RANGE, &format!("bytes */{len}"));
            return response;
        }
    };
    let part = body[start as usize..end as usize].to_vec();
    let mut response = part.into_response();
    *response.status_mut() = status;
    insert(&mut response, CONTENT_TYPE, content_type);
    insert(&mut response, CONTENT_LENGTH, &(end - start).to_string());
    insert(&mut response, ACCEPT_RANGES, "bytes");
    if status == StatusCode::PARTIAL_CONTENT {
        let range = format!("bytes {start}-{}/{len}", end - 1);
        insert(&mut response, CONTENT_RANGE, &range);
    }
    response
}

fn insert(response: &mut Response, name: warp::http::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

/// The WAV every clip plays, built once.
fn tone() -> &'static [u8] {
    static TONE: OnceLock<Vec<u8>> = OnceLock::new();
    TONE.get_or_init(wav)
}

/// One second of a 440 Hz sine, 8 kHz, 16-bit mono PCM, in a RIFF/WAVE container.
pub(crate) fn wav() -> Vec<u8> {
    let data_len = SAMPLES * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&SAMPLE_RATE.to_le_bytes());
    out.extend_from_slice(&(SAMPLE_RATE * 2).to_le_bytes()); // bytes per second
    out.extend_from_slice(&2u16.to_le_bytes()); // bytes per frame
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for n in 0..SAMPLES {
        let t = f64::from(n) / f64::from(SAMPLE_RATE);
        let sample =
            (f64::from(i16::MAX) * 0.3 * (2.0 * std::f64::consts::PI * TONE_HZ * t).sin()) as i16;
        out.extend_from_slice(&sample.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{SAMPLES, file, wav};

    #[test]
    fn the_wav_is_a_riff_pcm_file_whose_sizes_add_up() {
        let bytes = wav();
        assert_eq!(bytes.len(), 44 + 2 * SAMPLES as usize);
        assert_eq!(&bytes[0..4], b"RIFF");
        assert_eq!(&bytes[8..16], b"WAVEfmt ");
        let riff_len = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
        assert_eq!(riff_len as usize, bytes.len() - 8);
        assert_eq!(&bytes[36..40], b"data");
        // Not silence: the samples swing both ways.
        let samples: Vec<i16> = bytes[44..]
            .chunks(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert!(samples.iter().any(|&s| s > 5_000) && samples.iter().any(|&s| s < -5_000));
    }

    #[test]
    fn only_wav_and_jpeg_names_are_media() {
        assert_eq!(file("abc.wav").map(|f| f.0), Some("audio/wav"));
        assert_eq!(file("abc.jpeg").map(|f| f.0), Some("image/jpeg"));
        for name in ["abc.mp3", "abc", ".wav", "abc.wav.exe"] {
            assert!(file(name).is_none(), "{name}");
        }
    }
}
