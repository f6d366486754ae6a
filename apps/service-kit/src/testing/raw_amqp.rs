//! A foreign publisher, written against the AMQP 0-9-1 wire format with no
//! client library, so a test can send what a library like lapin refuses to
//! parse: a content header whose `content_type` short string is not UTF-8.
//! RabbitMQ does not validate property strings, stores the message and
//! delivers it; lapin fails to parse the frame and drops the connection.
//!
//! Frames (AMQP 0-9-1 §4.2.3): type (1 octet), channel (2), payload size
//! (4), payload, `0xCE`. The handshake is the minimal one: protocol header,
//! `connection.start` → `start-ok` (PLAIN), `tune` → `tune-ok`, `open`,
//! `channel.open`, `confirm.select`; then `basic.publish`, content header,
//! body, and the broker's `basic.ack` before `connection.close`.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::config::AmqpSettings;

const METHOD: u8 = 1;
const HEADER: u8 = 2;
const BODY: u8 = 3;
const HEARTBEAT: u8 = 8;
const FRAME_END: u8 = 0xCE;
const BASIC: u16 = 60;

/// Publishes `body` to `queue` (default exchange) as a persistent message
/// whose `content_type` is the bytes `ff fe` (not UTF-8), and returns once
/// the broker confirmed it. Plain TCP, PLAIN authentication with
/// `amqp.user`/`amqp.password` on `amqp.vhost`.
pub async fn publish_with_non_utf8_content_type(
    amqp: &AmqpSettings,
    queue: &str,
    body: &[u8],
) -> io::Result<()> {
    let mut c = Conn(TcpStream::connect((amqp.host.as_str(), amqp.port)).await?);
    c.0.write_all(b"AMQP\x00\x00\x09\x01").await?;
    c.expect_method(0, 10, 10).await?; // connection.start

    let mut start_ok = method(10, 11);
    start_ok.extend_from_slice(&0u32.to_be_bytes()); // client-properties: empty table
    shortstr(&mut start_ok, b"PLAIN");
    let response = format!("\0{}\0{}", amqp.user, amqp.password.expose());
    longstr(&mut start_ok, response.as_bytes());
    shortstr(&mut start_ok, b"en_US");
    c.send(METHOD, 0, &start_ok).await?;

    let tune = c.expect_method(0, 10, 30).await?;
    let mut tune_ok = method(10, 31);
    tune_ok.extend_from_slice(&tune[0..6]); // channel-max, frame-max as offered
    tune_ok.extend_from_slice(&0u16.to_be_bytes()); // no heartbeat
    c.send(METHOD, 0, &tune_ok).await?;

    let mut open = method(10, 40);
    shortstr(&mut open, amqp.vhost.as_bytes());
    shortstr(&mut open, b""); // reserved
    open.push(0); // reserved bit
    c.send(METHOD, 0, &open).await?;
    c.expect_method(0, 10, 41).await?;

    let mut channel_open = method(20, 10);
    shortstr(&mut channel_open, b"");
    c.send(METHOD, 1, &channel_open).await?;
    c.expect_method(1, 20, 11).await?;

    let mut select = method(85, 10);
    select.push(0); // nowait = false
    c.send(METHOD, 1, &select).await?;
    c.expect_method(1, 85, 11).await?;

    let mut publish = method(BASIC, 40);
    publish.extend_from_slice(&0u16.to_be_bytes()); // reserved
    shortstr(&mut publish, b""); // default exchange
    shortstr(&mut publish, queue.as_bytes());
    publish.push(0); // not mandatory, not immediate
    c.send(METHOD, 1, &publish).await?;

    let mut header = Vec::new();
    header.extend_from_slice(&BASIC.to_be_bytes());
    header.extend_from_slice(&0u16.to_be_bytes()); // weight
    header.extend_from_slice(&(body.len() as u64).to_be_bytes());
    // property flags: content-type (bit 15) and delivery-mode (bit 12)
    header.extend_from_slice(&0x9000u16.to_be_bytes());
    shortstr(&mut header, &[0xff, 0xfe]);
    header.push(2); // persistent
    c.send(HEADER, 1, &header).await?;
    c.send(BODY, 1, body).await?;
    c.expect_method(1, BASIC, 80).await?; // basic.ack: the broker has it

    let mut close = method(10, 50);
    close.extend_from_slice(&200u16.to_be_bytes());
    shortstr(&mut close, b"bye");
    close.extend_from_slice(&[0, 0, 0, 0]);
    c.send(METHOD, 0, &close).await?;
    c.expect_method(0, 10, 51).await?;
    Ok(())
}

struct Conn(TcpStream);

impl Conn {
    async fn send(&mut self, kind: u8, channel: u16, payload: &[u8]) -> io::Result<()> {
        let mut frame = Vec::with_capacity(payload.len() + 8);
        frame.push(kind);
        frame.extend_from_slice(&channel.to_be_bytes());
        frame.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        frame.extend_from_slice(payload);
        frame.push(FRAME_END);
        self.0.write_all(&frame).await
    }

    /// Reads frames until a method frame; fails unless it is `class.method`
    /// on `channel`. Returns the method's arguments.
    async fn expect_method(&mut self, channel: u16, class: u16, id: u16) -> io::Result<Vec<u8>> {
        loop {
            let mut head = [0u8; 7];
            self.0.read_exact(&mut head).await?;
            let size = u32::from_be_bytes([head[3], head[4], head[5], head[6]]) as usize;
            let mut payload = vec![0u8; size + 1];
            self.0.read_exact(&mut payload).await?;
            if payload.pop() != Some(FRAME_END) {
                return Err(io::Error::other("frame without frame-end octet"));
            }
            if head[0] == HEARTBEAT {
                continue;
            }
            let got_channel = u16::from_be_bytes([head[1], head[2]]);
            if head[0] != METHOD || payload.len() < 4 {
                return Err(io::Error::other(format!(
                    "unexpected frame type {}",
                    head[0]
                )));
            }
            let got = (
                got_channel,
                u16::from_be_bytes([payload[0], payload[1]]),
                u16::from_be_bytes([payload[2], payload[3]]),
            );
            if got != (channel, class, id) {
                return Err(io::Error::other(format!(
                    "expected method {class}.{id} on channel {channel}, got {}.{} on channel {} ({})",
                    got.1,
                    got.2,
                    got.0,
                    String::from_utf8_lossy(&payload[4..])
                )));
            }
            return Ok(payload.split_off(4));
        }
    }
}

fn method(class: u16, id: u16) -> Vec<u8> {
    let mut m = class.to_be_bytes().to_vec();
    m.extend_from_slice(&id.to_be_bytes());
    m
}

fn shortstr(out: &mut Vec<u8>, s: &[u8]) {
    out.push(s.len() as u8);
    out.extend_from_slice(s);
}

fn longstr(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s);
}
