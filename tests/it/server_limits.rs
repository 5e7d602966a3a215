//! The server loop's limits (issue 19), against the real `anju` binary: idle connections beyond
//! its descriptors do not stop it answering, a connection that never finishes its headers is
//! closed, a request that never finishes its body is answered 408. Each wait below is a bound
//! on a hang, not a speed claim: the limits set are one second.

use crate::harness::*;
use reqwest::StatusCode;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long a test waits before calling the server hung.
const HUNG: Duration = Duration::from_secs(60);

fn addr(srv: &Server) -> String {
    srv.base.trim_start_matches("http://").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_idle_connections_do_not_stop_the_server_answering() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    // 128 descriptors and 200 connections that never send a byte: without a cap and a header
    // timeout the server accepts until it has no descriptor left, then answers no one.
    let srv = Server::start(
        &t,
        &["--max-connections", "32", "--header-timeout-secs", "1"],
        Some(128),
    );
    let mut idle = Vec::new();
    for _ in 0..200 {
        idle.push(tokio::net::TcpStream::connect(addr(&srv)).await.unwrap());
    }
    let health = tokio::time::timeout(
        HUNG,
        t.client.get(format!("{}/api/health", srv.base)).send(),
    )
    .await
    .expect("the server answers while idle connections wait")
    .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    // The idle connections were closed by the server, not left open.
    let mut closed = 0;
    for mut c in idle.drain(..40) {
        let mut buf = [0u8; 16];
        if let Ok(Ok(0) | Err(_)) = tokio::time::timeout(HUNG, c.read(&mut buf)).await {
            closed += 1;
        }
    }
    assert_eq!(closed, 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_never_finishes_its_headers_is_closed() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    let srv = Server::start(&t, &["--header-timeout-secs", "1"], None);
    let mut c = tokio::net::TcpStream::connect(addr(&srv)).await.unwrap();
    // The request line and a header, never the blank line that ends the headers.
    c.write_all(b"GET /api/health HTTP/1.1\r\nhost: anju\r\nx-slow: 1")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let r = tokio::time::timeout(HUNG, c.read_to_end(&mut rest)).await;
    assert!(r.is_ok(), "the connection is still open after {HUNG:?}");
    assert!(
        !String::from_utf8_lossy(&rest).contains("200 OK"),
        "{rest:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_whose_body_never_arrives_is_answered_408() {
    let t = TestApp::spawn(Backend::Sqlite).await;
    let srv = Server::start(&t, &["--request-timeout-secs", "1"], None);
    let mut c = tokio::net::TcpStream::connect(addr(&srv)).await.unwrap();
    let head = format!(
        "POST /api/rounds HTTP/1.1\r\nhost: anju\r\nauthorization: Bearer {}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{",
        t.token("housing_bureau")
    );
    c.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(HUNG, c.read(&mut answer))
        .await
        .expect("an answer before the test gives up")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    let (_, rounds) = t.get("housing_bureau", "/api/rounds").await;
    assert_eq!(rounds, serde_json::json!([]), "nothing was created");
}
