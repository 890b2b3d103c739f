//! The console's files, embedded at compile time. Each is hashed once (its
//! strong `ETag` and the `?v=` the page names it by) and gzipped once, on
//! first use.

use std::io::Write;
use std::sync::OnceLock;

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::secrets::sha256_hex;

/// The page's file name among [`FILES`].
const PAGE: &str = "index.html";

/// Every embedded file: name, content type, bytes. The page refers to the
/// others as `/assets/<name>`.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        PAGE,
        "text/html; charset=utf-8",
        include_bytes!("assets/index.html"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("assets/app.css"),
    ),
    (
        "i18n.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/i18n.js"),
    ),
    (
        "api.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/api.js"),
    ),
    (
        "tasks.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/tasks.js"),
    ),
    (
        "keys.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/keys.js"),
    ),
    (
        "account.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/account.js"),
    ),
    (
        "channels.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/channels.js"),
    ),
    (
        "admin.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/admin.js"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/app.js"),
    ),
];

/// One file ready to serve.
pub struct Asset {
    /// The file name.
    pub name: &'static str,
    /// The `Content-Type` header.
    pub content_type: &'static str,
    /// The bytes as served (the page with its assets' `?v=` filled in).
    pub bytes: Vec<u8>,
    /// The hex SHA-256 of [`Asset::bytes`].
    pub hash: String,
    /// Whether it may be cached for good (named by hash) or must be
    /// revalidated (the page, whose address never changes).
    pub immutable: bool,
    gzip: OnceLock<Option<Vec<u8>>>,
}

impl Asset {
    fn new(name: &'static str, content_type: &'static str, bytes: Vec<u8>) -> Asset {
        Asset {
            name,
            content_type,
            hash: sha256_hex(&[&bytes]),
            bytes,
            immutable: name != PAGE,
            gzip: OnceLock::new(),
        }
    }

    /// The bytes gzipped, compressed on first use; `None` when gzip would
    /// not make them smaller.
    pub fn gzipped(&self) -> Option<&[u8]> {
        self.gzip
            .get_or_init(|| {
                let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
                encoder.write_all(&self.bytes).ok()?;
                let out = encoder.finish().ok()?;
                (out.len() < self.bytes.len()).then_some(out)
            })
            .as_deref()
    }

    /// The strong `ETag` of the plain (`gzip: false`) or gzipped bytes:
    /// each representation has its own.
    pub fn etag(&self, gzip: bool) -> String {
        let short = &self.hash[..32];
        if gzip {
            format!("\"{short}-gz\"")
        } else {
            format!("\"{short}\"")
        }
    }

    /// The version the page names the asset by (`?v=`).
    pub fn version(&self) -> &str {
        &self.hash[..16]
    }
}

/// The page and its assets.
pub struct Catalog {
    page: Asset,
    assets: Vec<Asset>,
}

impl Catalog {
    /// The page.
    pub fn page(&self) -> &Asset {
        &self.page
    }

    /// The asset called `name` (not the page), if there is one.
    pub fn asset(&self, name: &str) -> Option<&Asset> {
        self.assets.iter().find(|a| a.name == name)
    }

    /// Every asset, the page excluded.
    pub fn assets(&self) -> &[Asset] {
        &self.assets
    }
}

/// The catalog, built on first use: assets hashed, then the page with each
/// `"/assets/<name>"` it names rewritten to `"/assets/<name>?v=<hash>"`, so
/// a new build's page fetches new assets while old ones stay cached.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let assets: Vec<Asset> = FILES
            .iter()
            .filter(|(name, _, _)| *name != PAGE)
            .map(|(name, ty, bytes)| Asset::new(name, ty, bytes.to_vec()))
            .collect();
        let (_, page_type, page_bytes) = FILES
            .iter()
            .find(|(name, _, _)| *name == PAGE)
            .copied()
            .unwrap_or((PAGE, "text/html; charset=utf-8", b""));
        let mut html = String::from_utf8_lossy(page_bytes).into_owned();
        for a in &assets {
            let plain = format!("\"/assets/{}\"", a.name);
            let versioned = format!("\"/assets/{}?v={}\"", a.name, a.version());
            html = html.replace(&plain, &versioned);
        }
        Catalog {
            page: Asset::new(PAGE, page_type, html.into_bytes()),
            assets,
        }
    })
}
