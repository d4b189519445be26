//! A real TCP server and client on 127.0.0.1: the client writes a stream of
//! messages in random chunk sizes with random delays; the server reads it
//! with `FramedRead` and the `StreamDecoder` codec, and every message arrives
//! once, whole, in order. The server echoes each one back through the
//! `Encoder`, and the client checks the echo too.
#![cfg(feature = "tokio")]

mod common;

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use sipline::{CodecError, ErrorKind, Frame, KeepAlive, ParserConfig, StreamDecoder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{FramedRead, FramedWrite};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_arrive_once_whole_in_order_over_tcp() {
    let mut rng = common::Rng(2026);
    let mut want = Vec::new();
    let mut bytes = Vec::new();
    for i in 0..300 {
        if i % 17 == 0 {
            bytes.extend_from_slice(b"\r\n\r\n");
        }
        let m = common::generated_message(i, &mut rng);
        bytes.extend_from_slice(&m);
        want.push(m);
    }

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        let (r, w) = sock.into_split();
        let mut frames = FramedRead::new(r, StreamDecoder::new(ParserConfig::strict()));
        let mut echo = FramedWrite::new(w, StreamDecoder::default());
        let (mut got, mut pings) = (Vec::new(), 0);
        while let Some(frame) = frames.next().await {
            match frame.expect("valid stream") {
                Frame::Message(m) => {
                    got.push(m.as_bytes().to_vec());
                    echo.send(m).await.unwrap();
                }
                Frame::KeepAlive { .. } => pings += 1,
            }
        }
        SinkExt::<sipline::OwnedMessage>::close(&mut echo)
            .await
            .unwrap();
        (got, pings)
    });

    let sock = TcpStream::connect(addr).await.unwrap();
    let (r, mut w) = sock.into_split();
    let reader = tokio::spawn(async move {
        let mut frames = FramedRead::new(r, StreamDecoder::new(ParserConfig::strict()));
        let mut echoed = Vec::new();
        while let Some(f) = frames.next().await {
            if let Frame::Message(m) = f.expect("valid echo") {
                echoed.push(m.into_bytes().to_vec());
            }
        }
        echoed
    });
    let mut at = 0;
    while at < bytes.len() {
        let n = (1 + rng.below(3000)).min(bytes.len() - at);
        w.write_all(&bytes[at..at + n]).await.unwrap();
        at += n;
        if rng.below(4) == 0 {
            tokio::time::sleep(Duration::from_millis(rng.below(3) as u64)).await;
        }
    }
    w.shutdown().await.unwrap();

    let (got, pings) = tokio::time::timeout(Duration::from_secs(60), server)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.len(), want.len());
    assert_eq!(got, want);
    assert_eq!(pings, (0..300).filter(|i| i % 17 == 0).count());
    let echoed = tokio::time::timeout(Duration::from_secs(60), reader)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(echoed, want);
}

#[tokio::test]
async fn a_stream_cut_inside_a_message_is_an_error_at_eof() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        let mut frames = FramedRead::new(sock, StreamDecoder::default());
        let mut results = Vec::new();
        while let Some(f) = frames.next().await {
            results.push(f.map(|_| ()));
        }
        results
    });
    let mut sock = TcpStream::connect(addr).await.unwrap();
    sock.write_all(b"SIP/2.0 200 OK\r\nl: 0\r\n\r\nSIP/2.0 180 Ring")
        .await
        .unwrap();
    sock.shutdown().await.unwrap();
    let mut results = server.await.unwrap();
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok());
    let err: CodecError = results.pop().unwrap().unwrap_err();
    // Its own error, with the offset where the cut message started.
    assert_eq!(err.kind(), Some(ErrorKind::IncompleteMessage));
    assert_eq!(err.offset(), Some(24));
    assert_eq!(err.to_string(), "stream ended inside a message at byte 24");
    let source = std::error::Error::source(&err).expect("a source");
    assert_eq!(
        source.downcast_ref::<sipline::Error>().map(|e| e.kind()),
        Some(ErrorKind::IncompleteMessage)
    );
    // `?` into an io::Result works, and says what happened.
    let io: std::io::Error = err.into();
    assert_eq!(io.kind(), std::io::ErrorKind::UnexpectedEof);
}

/// A server answers each ping with a pong (one CRLF, RFC 5626 §4.4.1), and a
/// malformed message surfaces as an `InvalidData` io::Error through `?`.
#[tokio::test]
async fn a_server_answers_pings_with_pongs() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        let mut framed = tokio_util::codec::Framed::new(sock, StreamDecoder::default());
        let serve = async {
            while let Some(frame) = framed.next().await {
                if let Frame::KeepAlive { .. } = frame? {
                    framed.send(KeepAlive::Pong).await?;
                }
            }
            Ok::<(), std::io::Error>(())
        };
        serve.await
    });
    let mut sock = TcpStream::connect(addr).await.unwrap();
    let mut pong = [0u8; 2];
    sock.write_all(b"\r\n\r\n").await.unwrap();
    sock.read_exact(&mut pong).await.unwrap();
    assert_eq!(&pong, b"\r\n");
    sock.write_all(b"OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n\r\n\r\n")
        .await
        .unwrap();
    sock.read_exact(&mut pong).await.unwrap();
    assert_eq!(&pong, b"\r\n");
    sock.write_all(b"SIP/2.0 2000 OK\r\n\r\n").await.unwrap();
    sock.shutdown().await.unwrap();
    // Nothing more was written: each answer was one CRLF, not a ping.
    let mut more = Vec::new();
    sock.read_to_end(&mut more).await.unwrap();
    assert!(more.is_empty(), "{more:?}");
    let err = server.await.unwrap().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert!(err.to_string().contains("status code"), "{err}");
}
