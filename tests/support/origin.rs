//! A fake HTTP origin: serves scripted responses by path and records what was asked.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Response};

/// One scripted response.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
    pub delay: Option<std::time::Duration>,
    /// Sent in chunks without a Content-Length, as a server streaming a page does.
    pub chunked: bool,
}

impl Reply {
    pub fn ok(content_type: &str, body: impl Into<String>) -> Reply {
        Reply::bytes(content_type, body.into().into_bytes())
    }

    /// A 200 whose body is `body` as it is (a feed in another encoding than UTF-8).
    pub fn bytes(content_type: &str, body: Vec<u8>) -> Reply {
        Reply {
            status: 200,
            content_type: content_type.into(),
            body,
            headers: Vec::new(),
            delay: None,
            chunked: false,
        }
    }

    pub fn status(status: u16, content_type: &str, body: impl Into<String>) -> Reply {
        Reply {
            status,
            content_type: content_type.into(),
            body: body.into().into_bytes(),
            headers: Vec::new(),
            delay: None,
            chunked: false,
        }
    }

    /// Answers only after `delay` (a slow or hanging server).
    pub fn delayed(mut self, delay: std::time::Duration) -> Reply {
        self.delay = Some(delay);
        self
    }

    /// Sends the body in chunks of 64 KiB without announcing its length.
    pub fn chunked(mut self) -> Reply {
        self.chunked = true;
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
}

#[derive(Default)]
struct Routes {
    /// Path → replies; the first is served and removed while more than one is queued.
    replies: HashMap<String, Vec<Reply>>,
    /// Path → requests seen, with their headers.
    requests: HashMap<String, Vec<HeaderMap>>,
    /// Path → the query strings of the requests seen.
    queries: HashMap<String, Vec<String>>,
}

/// The fake origin.
#[derive(Clone)]
pub struct Origin {
    pub addr: SocketAddr,
    routes: Arc<Mutex<Routes>>,
}

impl Origin {
    pub async fn start() -> Origin {
        let routes = Arc::new(Mutex::new(Routes::default()));
        let app = Router::new().fallback(serve).with_state(routes.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Origin { addr, routes }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// From now on `path` answers `reply` (replacing any script).
    pub fn set(&self, path: &str, reply: Reply) {
        self.routes
            .lock()
            .unwrap()
            .replies
            .insert(path.into(), vec![reply]);
    }

    /// `path` answers these replies in turn, then keeps answering the last.
    pub fn script(&self, path: &str, replies: Vec<Reply>) {
        self.routes
            .lock()
            .unwrap()
            .replies
            .insert(path.into(), replies);
    }

    /// How often `path` was requested.
    pub fn hits(&self, path: &str) -> usize {
        self.routes
            .lock()
            .unwrap()
            .requests
            .get(path)
            .map_or(0, Vec::len)
    }

    /// The query string of every request to `path`, decoded.
    pub fn queries(&self, path: &str) -> Vec<String> {
        self.routes
            .lock()
            .unwrap()
            .queries
            .get(path)
            .cloned()
            .unwrap_or_default()
    }

    /// The headers of every request to `path`.
    pub fn requests(&self, path: &str) -> Vec<HeaderMap> {
        self.routes
            .lock()
            .unwrap()
            .requests
            .get(path)
            .cloned()
            .unwrap_or_default()
    }
}

async fn serve(State(routes): State<Arc<Mutex<Routes>>>, req: Request<Body>) -> Response {
    let path = req.uri().path().to_string();
    let reply = {
        let mut r = routes.lock().unwrap();
        r.requests
            .entry(path.clone())
            .or_default()
            .push(req.headers().clone());
        let query = req.uri().query().unwrap_or("").replace("%2C", ",");
        r.queries.entry(path.clone()).or_default().push(query);
        match r.replies.get_mut(&path) {
            Some(list) if list.len() > 1 => Some(list.remove(0)),
            Some(list) => list.first().cloned(),
            None => None,
        }
    };
    let Some(reply) = reply else {
        return (StatusCode::NOT_FOUND, "no such fake route").into_response();
    };
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
    // Conditional GET: a matching validator gets 304.
    let etag = reply
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("etag"))
        .map(|(_, v)| v.clone());
    if let (Some(etag), Some(sent)) = (&etag, req.headers().get("if-none-match"))
        && sent.to_str().ok() == Some(etag.as_str())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut resp = Response::builder()
        .status(reply.status)
        .header("content-type", reply.content_type.clone());
    for (k, v) in &reply.headers {
        resp = resp.header(k.as_str(), v.as_str());
    }
    if reply.chunked {
        let chunks: Vec<Result<bytes::Bytes, std::convert::Infallible>> = reply
            .body
            .chunks(64 * 1024)
            .map(|c| Ok(bytes::Bytes::copy_from_slice(c)))
            .collect();
        return resp
            .body(Body::from_stream(futures::stream::iter(chunks)))
            .unwrap();
    }
    resp.body(Body::from(reply.body)).unwrap()
}
