//! What the video routes share: known videos in creation order, the fault switch, counters
//! and what was created.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use super::config::VideoMockConfig;
use super::error::ApiError;
use super::job::{Entry, Forced, Video};
use super::request::{InputReference, ListQuery, NewVideo, Order, VideoStatus};
use crate::clock::Clock;
use crate::fault::fails_evenly;
use crate::recent::Recent;
use crate::running::Base;
use crate::sync::lock;

/// How many creations [`crate::VideoMock::created`] remembers (the most recent ones).
pub const CREATED_MEMORY: usize = 20_000;

/// Requests received (every request is counted, faulted or not), bytes sent, videos held.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct VideoStats {
    /// `POST /v1/videos` requests.
    pub creates: u64,
    /// `GET /v1/videos/{id}` requests.
    pub retrieves: u64,
    /// `GET /v1/videos` requests.
    pub lists: u64,
    /// `GET /v1/videos/{id}/content` requests.
    pub contents: u64,
    /// `DELETE /v1/videos/{id}` requests.
    pub deletes: u64,
    /// `POST /v1/videos/{id}/remix` requests.
    pub remixes: u64,
    /// Content bytes produced for clients (counted as chunks are handed to the connection).
    pub bytes_served: u64,
    /// Requests refused for a wrong or missing secret.
    pub unauthorized: u64,
    /// Requests a fault other than `None` was applied to.
    pub faulted: u64,
    /// Videos the mock currently knows.
    pub videos: u64,
}

/// A video the mock accepted, as the client asked for it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Created {
    /// The id answered.
    pub id: String,
    /// The model (after defaults).
    pub model: String,
    /// The prompt.
    pub prompt: String,
    /// The clip length (after defaults).
    pub seconds: String,
    /// The resolution (after defaults).
    pub size: String,
    /// The uploaded reference image of a multipart create.
    pub input_reference: Option<InputReference>,
    /// The source of a remix.
    pub remixed_from_video_id: Option<String>,
}

/// Videos by id, and their ids by creation number for cursor paging.
#[derive(Default)]
struct Videos {
    by_id: HashMap<String, (u64, Entry)>,
    by_number: BTreeMap<u64, String>,
}

/// Everything the routes share.
pub struct State {
    pub(crate) cfg: VideoMockConfig,
    pub(crate) base: Base<VideoStats>,
    videos: Mutex<Videos>,
    created: Recent<Created>,
    /// Videos created so far: numbers them for paging and decides which fail.
    video_count: AtomicU64,
}

impl State {
    /// A mock with no video, no fault and zero counts.
    pub(crate) fn new(cfg: VideoMockConfig) -> State {
        State {
            base: Base::new(&cfg.secret, cfg.latency_ms, cfg.worker_threads),
            cfg,
            videos: Mutex::default(),
            created: Recent::new(CREATED_MEMORY),
            video_count: AtomicU64::new(0),
        }
    }

    /// Stores a video created now (failing by the failure ratio) and remembers the request.
    pub(crate) fn create(&self, request: NewVideo, remixed_from: Option<String>) -> Entry {
        let clock = Clock::now();
        let number = self.video_count.fetch_add(1, Ordering::Relaxed);
        let entry = Entry::new(Video {
            id: format!("video_{}", self.base.ids.hex32()),
            created_at: clock.instant,
            created_unix_ms: clock.unix_ms,
            queued_ms: self.cfg.queued_ms,
            in_progress_ms: self.cfg.in_progress_ms,
            fails: fails_evenly(number, self.cfg.failure_ratio),
            seed: self.base.ids.seed(),
            request,
            remixed_from,
        });
        let video = &entry.video;
        let mut videos = lock(&self.videos);
        videos
            .by_id
            .insert(video.id.clone(), (number, entry.clone()));
        videos.by_number.insert(number, video.id.clone());
        drop(videos);
        self.created.push(Created {
            id: video.id.clone(),
            model: video.request.model.clone(),
            prompt: video.request.prompt.clone(),
            seconds: video.request.seconds.to_string(),
            size: video.request.size.to_string(),
            input_reference: video.request.input_reference.clone(),
            remixed_from_video_id: video.remixed_from.clone(),
        });
        entry
    }

    /// A known video.
    pub(crate) fn get(&self, id: &str) -> Option<Entry> {
        lock(&self.videos).by_id.get(id).map(|(_, e)| e.clone())
    }

    /// Drops a video from all answers; false if it was unknown.
    pub(crate) fn remove(&self, id: &str) -> bool {
        let mut videos = lock(&self.videos);
        match videos.by_id.remove(id) {
            Some((number, _)) => videos.by_number.remove(&number).is_some(),
            None => false,
        }
    }

    /// Forces a video's status from now on; false if the video is unknown.
    pub(crate) fn set_status(&self, id: &str, status: VideoStatus) -> bool {
        let clock = Clock::now();
        match lock(&self.videos).by_id.get_mut(id) {
            Some((_, entry)) => {
                entry.forced = Some(Forced {
                    status,
                    at: clock.instant,
                    at_unix_ms: clock.unix_ms,
                });
                true
            }
            None => false,
        }
    }

    /// One page of videos after the cursor, and whether more follow.
    pub(crate) fn page(&self, query: &ListQuery) -> Result<(Vec<Entry>, bool), ApiError> {
        let videos = lock(&self.videos);
        let after = match &query.after {
            Some(id) => match videos.by_id.get(id) {
                Some((number, _)) => Some(*number),
                None => return Err(ApiError::invalid("after", &format!("No video '{id}'."))),
            },
            None => None,
        };
        let numbers: Box<dyn Iterator<Item = (&u64, &String)>> = match (query.order, after) {
            (Order::Asc, Some(after)) => Box::new(videos.by_number.range(after + 1..)),
            (Order::Asc, None) => Box::new(videos.by_number.iter()),
            (Order::Desc, Some(after)) => Box::new(videos.by_number.range(..after).rev()),
            (Order::Desc, None) => Box::new(videos.by_number.iter().rev()),
        };
        let mut page: Vec<Entry> = numbers
            .take(query.limit + 1)
            .filter_map(|(_, id)| videos.by_id.get(id).map(|(_, e)| e.clone()))
            .collect();
        let has_more = page.len() > query.limit;
        page.truncate(query.limit);
        Ok((page, has_more))
    }

    /// The counts now.
    pub(crate) fn stats(&self) -> VideoStats {
        VideoStats {
            videos: lock(&self.videos).by_id.len() as u64,
            faulted: self.base.faulted(),
            ..self.base.counts.snapshot()
        }
    }

    /// Creations accepted, oldest first.
    pub(crate) fn created(&self) -> Vec<Created> {
        self.created.all()
    }
}
