//! A small HTTP/1.1 proxy in front of a real test server (moto, Azurite):
//! it counts the requests that pass (with the key id that signed each and,
//! for STS-style form POSTs, the `Action` and the `AccessKeyId` answered)
//! and injects faults — a 503 answer, a
//! connection dropped after the request was read, or a change to an object
//! between a scan's listing and its read. Each connection carries one
//! request (the proxy asks the upstream to close), which clients handle as a
//! server that does not keep connections alive.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request that reached the proxy.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Path and query, as sent (`/bucket/key?list-type=2…`).
    pub target: String,
    /// What the proxy did instead of forwarding, if anything.
    pub fault: Option<&'static str>,
    /// The access key id of a SigV4 `Authorization` header
    /// (`AWS4-HMAC-SHA256 Credential=KEY_ID/date/region/service/…`).
    pub key_id: Option<String>,
    /// `Action=` of a form-encoded POST body (`AssumeRole`).
    pub action: Option<String>,
    /// The first `<AccessKeyId>` of the upstream's answer (what STS handed
    /// out), for requests with an `action`.
    pub answered_key_id: Option<String>,
}

/// Which requests get a fault: every `nth` request (0: none). A request is
/// faulted at most once (keyed by method, target and `Range`), so the
/// client's retry of it passes: a test of retries must not depend on luck.
#[derive(Clone, Copy, Debug, Default)]
pub struct Faults {
    pub status_503_every: usize,
    pub drop_every: usize,
}

type Hook = Box<dyn FnMut(&str, &str) + Send>;

struct Shared {
    seen: Vec<Seen>,
    faulted: std::collections::HashSet<String>,
    faults: Faults,
    /// Called with (method, target) before a request is forwarded.
    before_forward: Option<Hook>,
    /// Requests being forwarded right now, and the most at once.
    in_flight: usize,
    max_in_flight: usize,
}

pub struct Proxy {
    pub port: u16,
    shared: Arc<Mutex<Shared>>,
}

impl Proxy {
    /// Starts forwarding to `127.0.0.1:upstream` on a free port, on threads
    /// that live as long as the test binary.
    pub fn start(upstream: u16, faults: Faults) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Mutex::new(Shared {
            seen: Vec::new(),
            faulted: Default::default(),
            faults,
            before_forward: None,
            in_flight: 0,
            max_in_flight: 0,
        }));
        let s2 = shared.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let shared = s2.clone();
                std::thread::spawn(move || {
                    let _ = serve(conn, upstream, &shared);
                });
            }
        });
        Proxy { port, shared }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The requests seen so far, and forget them.
    pub fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut self.shared.lock().unwrap().seen)
    }

    /// The most requests that were being forwarded at one time.
    pub fn max_in_flight(&self) -> usize {
        self.shared.lock().unwrap().max_in_flight
    }

    /// Run `hook(method, target)` before each request is forwarded (it may
    /// change the upstream, e.g. overwrite the object about to be read).
    pub fn before_forward(&self, hook: impl FnMut(&str, &str) + Send + 'static) {
        self.shared.lock().unwrap().before_forward = Some(Box::new(hook));
    }
}

/// One HTTP/1.1 request: its head (request line and headers) and body.
pub fn read_request(s: &mut TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())
                .flatten()
        })
        .unwrap_or(0);
    let mut body = vec![0; len];
    s.read_exact(&mut body)?;
    Ok((head, body))
}

/// The key id of a SigV4 `Authorization` header in `head`.
fn signing_key_id(head: &str) -> Option<String> {
    let value = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("authorization").then(|| v.trim())
    })?;
    let rest = value.strip_prefix("AWS4-HMAC-SHA256")?;
    let cred = rest.split_once("Credential=")?.1;
    Some(cred.split('/').next()?.to_string())
}

/// `Action=` of a form body.
fn form_action(body: &[u8]) -> Option<String> {
    String::from_utf8_lossy(body)
        .split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .map(str::to_string)
}

fn answered_key_id(reply: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(reply);
    let start = text.find("<AccessKeyId>")? + "<AccessKeyId>".len();
    let end = start + text[start..].find("</AccessKeyId>")?;
    Some(text[start..end].trim().to_string())
}

/// Counts a request as in flight while it is forwarded and answered upstream.
struct InFlight<'a>(&'a Mutex<Shared>);

impl<'a> InFlight<'a> {
    fn enter(shared: &'a Mutex<Shared>) -> Self {
        let mut sh = shared.lock().unwrap();
        sh.in_flight += 1;
        sh.max_in_flight = sh.max_in_flight.max(sh.in_flight);
        InFlight(shared)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Ok(mut sh) = self.0.lock() {
            sh.in_flight -= 1;
        }
    }
}

fn serve(mut s: TcpStream, upstream: u16, shared: &Mutex<Shared>) -> std::io::Result<()> {
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let (head, body) = read_request(&mut s)?;
    let request_line = head.lines().next().unwrap_or_default().to_string();
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let range = head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("range:"))
        .unwrap_or_default();
    let key = format!("{method} {target} {range}");
    let action = (method == "POST").then(|| form_action(&body)).flatten();
    let fault = {
        let mut sh = shared.lock().unwrap();
        let n = sh.seen.len() + 1;
        let f = sh.faults;
        let fresh = !sh.faulted.contains(&key);
        let fault = if fresh && f.status_503_every > 0 && n.is_multiple_of(f.status_503_every) {
            Some("503")
        } else if fresh && f.drop_every > 0 && n.is_multiple_of(f.drop_every) {
            Some("drop")
        } else {
            None
        };
        if fault.is_some() {
            sh.faulted.insert(key);
        }
        sh.seen.push(Seen {
            method: method.clone(),
            target: target.clone(),
            fault,
            key_id: signing_key_id(&head),
            action: action.clone(),
            answered_key_id: None,
        });
        if fault.is_none() {
            if let Some(hook) = sh.before_forward.as_mut() {
                hook(&method, &target);
            }
        }
        fault
    };
    match fault {
        Some("503") => {
            let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
                <Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
            return write!(
                s,
                "HTTP/1.1 503 Slow Down\r\ncontent-type: application/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
        Some(_) => return Ok(()), // dropped: close without an answer
        None => {}
    }
    // Counted while the upstream answers, not while the answer is written
    // back: the client may take it and send its next request before this
    // thread is done writing, which would count one request twice.
    let in_flight = InFlight::enter(shared);
    // Forward the request as it came, asking the upstream to close after it.
    let mut forwarded = String::new();
    for (i, line) in head.split("\r\n").enumerate() {
        if line.is_empty() {
            continue;
        }
        if i > 0 {
            let name = line.split(':').next().unwrap_or_default().trim();
            if name.eq_ignore_ascii_case("connection") || name.eq_ignore_ascii_case("keep-alive") {
                continue;
            }
        }
        forwarded.push_str(line);
        forwarded.push_str("\r\n");
    }
    forwarded.push_str("connection: close\r\n\r\n");
    let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
    up.write_all(forwarded.as_bytes())?;
    up.write_all(&body)?;
    let mut reply = Vec::new();
    up.read_to_end(&mut reply)?;
    drop(in_flight);
    if action.is_some() {
        let mut sh = shared.lock().unwrap();
        if let Some(seen) = sh
            .seen
            .iter_mut()
            .rev()
            .find(|x| x.target == target && x.action == action && x.answered_key_id.is_none())
        {
            seen.answered_key_id = answered_key_id(&reply);
        }
    }
    s.write_all(&reply)
}
