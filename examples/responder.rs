//! A small stateless SIP responder over TCP and UDP, built only from
//! sipline's public API: the tokio codec frames TCP, `parse_datagram`
//! reads UDP, `validate()` decides whether a request is fit and which
//! status its sender is owed, and `Response` writes every answer.
//!
//! It answers INVITE with 200 (To tag and Contact added), ACK with nothing,
//! every other request with 200, and a request that fails `validate()`
//! with the status owed (400 …). Keep-alive pings get pongs.
//!
//! ```text
//! cargo run --release --features tokio --example responder -- 127.0.0.1:5070
//! sipp -sn uac -t t1 -r 2000 127.0.0.1:5070
//! ```
//!
//! It runs until its standard input closes, then prints its counts as one
//! line of JSON (`requests`, `responses_sent`, `parse_errors`, `invalid`)
//! and exits.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use sipline::{
    parse_datagram, Datagram, Frame, Head, KeepAlive, ParserConfig, Response, StatusCode,
    StreamDecoder,
};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, UdpSocket};
use tokio_util::codec::Framed;

#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    responses: AtomicU64,
    parse_errors: AtomicU64,
    invalid: AtomicU64,
    tags: AtomicU64,
}

/// The answer to one request, or `None` (ACK, or a response received).
fn answer(
    head: &Head<'_>,
    local: SocketAddr,
    transport: &str,
    counts: &Counts,
) -> Option<BytesMut> {
    let request = head.start_line.request()?;
    counts.requests.fetch_add(1, Ordering::Relaxed);
    if request.method == *"ACK" {
        return None;
    }
    let mut out = BytesMut::with_capacity(512);
    if let Err(why) = head.validate() {
        counts.invalid.fetch_add(1, Ordering::Relaxed);
        let status = why.status()?;
        Response::new(head, status).write(&mut out).ok()?;
        counts.responses.fetch_add(1, Ordering::Relaxed);
        return Some(out);
    }
    let tag = format!("r{}", counts.tags.fetch_add(1, Ordering::Relaxed));
    let contact = format!("<sip:responder@{local};transport={transport}>");
    let mut response = Response::new(head, StatusCode::OK).to_tag(&tag);
    if request.method == *"INVITE" {
        response = response.header("Contact", contact.as_bytes());
    }
    response.write(&mut out).ok()?;
    counts.responses.fetch_add(1, Ordering::Relaxed);
    Some(out)
}

async fn serve_tcp(listener: TcpListener, counts: Arc<Counts>) {
    let local = listener.local_addr().expect("bound");
    loop {
        let Ok((sock, _)) = listener.accept().await else {
            continue;
        };
        let counts = counts.clone();
        tokio::spawn(async move {
            let _ = sock.set_nodelay(true);
            let mut framed = Framed::new(sock, StreamDecoder::new(ParserConfig::default()));
            while let Some(frame) = framed.next().await {
                match frame {
                    Ok(Frame::Message(m)) => {
                        if let Some(out) = answer(&m.head(), local, "tcp", &counts) {
                            if framed.send(Bytes::from(out)).await.is_err() {
                                return;
                            }
                        }
                    }
                    Ok(Frame::KeepAlive { .. }) => {
                        let _ = framed.send(KeepAlive::Pong).await;
                    }
                    Err(e) => {
                        // A stream cannot be resynchronised: count and close.
                        counts.parse_errors.fetch_add(1, Ordering::Relaxed);
                        eprintln!("tcp: {e}");
                        return;
                    }
                }
            }
        });
    }
}

async fn serve_udp(sock: UdpSocket, counts: Arc<Counts>) {
    let local = sock.local_addr().expect("bound");
    let mut buf = vec![0u8; 65_536];
    let cfg = ParserConfig::default();
    loop {
        let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
            continue;
        };
        let Some(datagram) = buf.get(..n) else {
            continue;
        };
        match parse_datagram(datagram, &cfg) {
            Ok(Datagram::Message(m)) => {
                if let Some(out) = answer(&m.head, local, "udp", &counts) {
                    let _ = sock.send_to(&out, peer).await;
                }
            }
            Ok(_) => {}
            Err(e) => {
                counts.parse_errors.fetch_add(1, Ordering::Relaxed);
                eprintln!("udp from {peer}: {e} (owed {})", e.status_owed());
            }
        }
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:5070".to_string())
        .parse()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let counts = Arc::new(Counts::default());
    let listener = TcpListener::bind(addr).await?;
    let udp = UdpSocket::bind(listener.local_addr()?).await?;
    eprintln!("responder on tcp and udp {}", listener.local_addr()?);
    tokio::spawn(serve_tcp(listener, counts.clone()));
    tokio::spawn(serve_udp(udp, counts.clone()));
    // Until standard input closes.
    let mut sink = Vec::new();
    let _ = tokio::io::stdin().read_to_end(&mut sink).await;
    let c = |a: &AtomicU64| a.load(Ordering::Relaxed);
    println!(
        "{{\"requests\": {}, \"responses_sent\": {}, \"parse_errors\": {}, \"invalid\": {}}}",
        c(&counts.requests),
        c(&counts.responses),
        c(&counts.parse_errors),
        c(&counts.invalid)
    );
    Ok(())
}
