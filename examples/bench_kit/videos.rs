//! Videos made in the OpenAI video mock over HTTP, many threads at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mock_upstreams::VideoMock;

/// Creates `n` videos (`sora-2`, 4 s) in `mock` from `threads` keep-alive
/// clients; their ids in creation order per thread.
pub fn create(mock: &VideoMock, n: usize, threads: usize) -> Result<Vec<String>, String> {
    let next = AtomicUsize::new(0);
    let url = format!("{}/v1/videos", mock.base_url());
    let auth = format!("Bearer {}", mock.secret());
    let made: Vec<Result<Vec<String>, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads.max(1))
            .map(|_| {
                s.spawn(|| {
                    let agent: ureq::Agent = ureq::Agent::config_builder()
                        .timeout_global(Some(Duration::from_secs(30)))
                        .build()
                        .into();
                    let mut ids = Vec::new();
                    while next.fetch_add(1, Ordering::Relaxed) < n {
                        let mut resp = agent
                            .post(url.as_str())
                            .header("Authorization", auth.as_str())
                            .content_type("application/json")
                            .send(r#"{"prompt":"a benchmark video","model":"sora-2"}"#)
                            .map_err(|e| format!("create: {e}"))?;
                        let text = resp
                            .body_mut()
                            .read_to_string()
                            .map_err(|e| format!("create answer: {e}"))?;
                        let video: serde_json::Value = serde_json::from_str(&text)
                            .map_err(|e| format!("create answer: {e}: {text}"))?;
                        let id = video["id"].as_str().ok_or("a video without an id")?;
                        ids.push(id.to_string());
                    }
                    Ok(ids)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("a client panicked".into())))
            .collect()
    });
    let mut ids = Vec::with_capacity(n);
    for m in made {
        ids.extend(m?);
    }
    Ok(ids)
}
