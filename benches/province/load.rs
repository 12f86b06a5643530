//! The load client: N workers, each with one keep-alive HTTP/1.1
//! connection, sending GraphQL POSTs back to back (a closed loop) for a
//! warm-up and then a measured window. Kept cheap (hyper, no JSON parsing
//! of the answers): it shares the machine's cores with the servers.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::Request;
use hyper_util::rt::TokioIo;

/// One request to send: its body and extra headers.
pub struct Call {
    pub body: String,
    pub headers: Vec<(&'static str, String)>,
}

/// Makes the `n`-th request of a cell; `None` when there is nothing left
/// to send (the transitions' candidates ran out).
pub type Maker = Arc<dyn Fn(u64) -> Option<Call> + Send + Sync>;

/// What a cell measured.
#[derive(Clone, Debug, Default)]
pub struct Measured {
    /// Answers from the window's start on, its tail included (`run`).
    pub requests: u64,
    /// Every exchange of the cell, warm-up and failures included: what the
    /// statements counted over the whole cell are divided by.
    pub exchanges: u64,
    /// From the window's start to the last answer.
    pub seconds: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Answers with GraphQL `errors`, other statuses than 200, failed
    /// exchanges — in the warm-up too.
    pub errors: u64,
    pub first_error: Option<String>,
}

impl Measured {
    pub fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.requests as f64 / self.seconds
        } else {
            0.0
        }
    }
}

pub fn post(
    addr: SocketAddr,
    body: Bytes,
    headers: &[(&'static str, String)],
) -> Request<Full<Bytes>> {
    let mut request = Request::post("/graphql")
        .header("host", addr.to_string())
        .header("content-type", "application/json");
    for (k, v) in headers {
        request = request.header(*k, v);
    }
    request.body(Full::new(body)).expect("request")
}

/// Runs `concurrency` workers against `addr`: `warm_up`, then `window`.
/// Every answer from the window's start on counts, the tail after it
/// included (each client finishes the request it has in flight): the rate
/// is those answers over the time until the last of them (by Little's law
/// the tail neither inflates nor deflates it), the latencies are those of
/// the requests sent inside the window. So a cell whose requests take
/// longer than the window still has figures, and one whose candidates run
/// out ends early.
pub async fn run(
    addr: SocketAddr,
    concurrency: usize,
    warm_up: Duration,
    window: Duration,
    make: Maker,
) -> Measured {
    let next = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(Mutex::new(None::<String>));
    let start = Instant::now() + warm_up;
    let end = start + window;
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (next, make, errors, first_error) = (
            next.clone(),
            make.clone(),
            errors.clone(),
            first_error.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut w = Worker::default();
            let mut conn = None;
            while Instant::now() < end {
                let Some(call) = make(next.fetch_add(1, Ordering::Relaxed)) else {
                    break;
                };
                let sent = Instant::now();
                let outcome = exchange(&mut conn, addr, call).await;
                let done = Instant::now();
                w.exchanges += 1;
                if let Err(e) = outcome {
                    errors.fetch_add(1, Ordering::Relaxed);
                    first_error.lock().unwrap().get_or_insert(e);
                    continue;
                }
                if done >= start {
                    w.answers += 1;
                    w.last_done = w.last_done.max(Some(done));
                    if sent >= start {
                        w.latencies.push(done - sent);
                    } else {
                        w.straddling.push(done - sent);
                    }
                }
            }
            w
        }));
    }
    let mut all = Worker::default();
    for w in workers {
        let w = w.await.expect("worker");
        all.answers += w.answers;
        all.exchanges += w.exchanges;
        all.last_done = all.last_done.max(w.last_done);
        all.latencies.extend(w.latencies);
        all.straddling.extend(w.straddling);
    }
    // Slower than the whole window: the requests sent in the warm-up.
    let mut latencies = if all.latencies.is_empty() {
        all.straddling
    } else {
        all.latencies
    };
    latencies.sort_unstable();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let first_error = first_error.lock().unwrap().clone();
    Measured {
        requests: all.answers,
        exchanges: all.exchanges,
        seconds: all.last_done.map_or(0.0, |d| (d - start).as_secs_f64()),
        p50_ms: at(0.50),
        p99_ms: at(0.99),
        errors: errors.load(Ordering::Relaxed),
        first_error,
    }
}

/// One client's answers from the window's start on.
#[derive(Default)]
struct Worker {
    answers: u64,
    exchanges: u64,
    last_done: Option<Instant>,
    /// Of the requests sent in the window.
    latencies: Vec<Duration>,
    /// Of those sent before it, answered in or after it.
    straddling: Vec<Duration>,
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// One request on the worker's connection (opened when missing, dropped
/// after a failure): an error unless the answer is 200 without `errors`.
async fn exchange(conn: &mut Option<Sender>, addr: SocketAddr, call: Call) -> Result<(), String> {
    if conn.as_ref().is_none_or(|c| c.is_closed()) {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| e.to_string())?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (send, driver) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(driver);
        *conn = Some(send);
    }
    let send = conn.as_mut().expect("connection");
    let answer = async {
        send.ready().await?;
        let response = send
            .send_request(post(addr, call.body.into(), &call.headers))
            .await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok::<_, hyper::Error>((status, body))
    }
    .await;
    let (status, body) = match answer {
        Ok(a) => a,
        Err(e) => {
            // The connection is gone: the next request opens another.
            *conn = None;
            return Err(e.to_string());
        }
    };
    // Answer strings are escaped JSON: `"errors":` is only ever the key.
    if status != 200 || body.windows(9).any(|w| w == b"\"errors\":") {
        return Err(format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(400)])
        ));
    }
    Ok(())
}

/// One request outside any measurement (signing in, checks): the answer.
pub async fn once(
    addr: SocketAddr,
    body: String,
    headers: &[(&'static str, String)],
) -> serde_json::Value {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut send, driver) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("handshake");
    tokio::spawn(driver);
    let response = send
        .send_request(post(addr, body.into(), headers))
        .await
        .expect("answer");
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    serde_json::from_slice(&body)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&body)))
}
