//! What flows between the relay, the worker and a platform's adaptor: a
//! client's job made ready for the upstream, and an upstream's report.

use crate::domain::TaskStatus;

/// A client's job, validated and translated for the upstream.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedJob {
    /// Stored action, e.g. `MUSIC`.
    pub action: String,
    /// Priced model, e.g. `suno_music`.
    pub model: String,
    /// How many priced units the job is (1 for a per-call price; seconds of
    /// video for a per-second price).
    pub units: f64,
    /// Body to send upstream.
    pub body: serde_json::Value,
    /// What the user asked for, kept on the task.
    pub properties: serde_json::Value,
    /// Public id of the task this job continues, if any: it must run on
    /// that task's channel.
    pub continues: Option<String>,
    /// The `ModelPrice` entry to price by when it has one (a model at a
    /// size: `sora-2-pro@1024x1792`); otherwise `model`'s.
    pub price_variant: Option<String>,
    /// A file the client sent with the job (a reference image), forwarded
    /// upstream and never stored.
    pub upload: Option<Upload>,
}

/// A file sent with a job.
#[derive(Clone, PartialEq)]
pub struct Upload {
    /// Form field name, e.g. `input_reference`.
    pub field: String,
    /// File name as the client gave it.
    pub filename: String,
    /// Media type as the client gave it.
    pub content_type: String,
    /// The bytes (shared: retries on other channels send the same file).
    pub bytes: std::sync::Arc<[u8]>,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Megabytes of image never reach a log line.
        f.debug_struct("Upload")
            .field("field", &self.field)
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// One job's state as the upstream reports it, already mapped.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamTask {
    /// The upstream's id.
    pub upstream_id: String,
    /// Mapped status (unknown words → UNKNOWN).
    pub status: TaskStatus,
    /// Progress given by the upstream, if any.
    pub progress: Option<String>,
    /// Failure reason, if any.
    pub fail_reason: String,
    /// Unix s, 0 = not given.
    pub submit_time: i64,
    /// Unix s, 0 = not given.
    pub start_time: i64,
    /// Unix s, 0 = not given.
    pub finish_time: i64,
    /// The upstream's result data as raw JSON text (`None` when absent or
    /// null); kept as text so large clip lists are never rebuilt as trees.
    pub data: Option<String>,
}

/// How the worker asks an upstream about its jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchMode {
    /// Many ids per request (Suno's `POST /suno/fetch`), up to the
    /// configured batch size.
    Batch,
    /// One request per job (`GET /v1/videos/{id}`): the worker sends them
    /// concurrently instead.
    PerTask,
}

/// A result file streamed from the upstream (a song, a video): never read
/// whole into memory.
pub struct Content {
    /// Upstream status: 200, or 206 for a range.
    pub status: u16,
    /// Only the headers a client may see (type, length, ranges).
    pub headers: Vec<(String, String)>,
    /// The bytes, read as they arrive.
    pub body: Box<dyn std::io::Read + Send>,
}
