//! The websocket gateway: HELLO, IDENTIFY -> READY, heartbeats, RESUME -> RESUMED (or INVALID
//! SESSION), and delivery of queued dispatches and closes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::payloads::bot_user_json;
use super::state::{Conn, Out, Shared};
use super::{APP_ID, GUILD_ID};

pub(super) async fn gateway_upgrade(
    State(sh): State<Arc<Shared>>,
    ws: WebSocketUpgrade,
) -> Response {
    ws.on_upgrade(move |socket| gateway_conn(sh, socket))
}

async fn send_text(socket: &mut WebSocket, text: String) -> bool {
    socket.send(WsMessage::Text(text.into())).await.is_ok()
}

async fn gateway_conn(sh: Arc<Shared>, mut socket: WebSocket) {
    let conn_id = sh.snowflake();
    let (tx, mut rx) = mpsc::unbounded_channel::<Out>();
    sh.lock().conns.insert(
        conn_id,
        Conn {
            tx,
            session: None,
            shard: (0, 1),
        },
    );
    sh.bump();

    let mut seq: Option<Arc<AtomicU64>> = None;
    if send_text(
        &mut socket,
        json!({"op": 10, "s": null, "t": null, "d": {"heartbeat_interval": 41250}}).to_string(),
    )
    .await
    {
        loop {
            tokio::select! {
                incoming = socket.recv() => {
                    let text = match incoming {
                        Some(Ok(WsMessage::Text(t))) => t.as_str().to_string(),
                        Some(Ok(WsMessage::Binary(b))) => String::from_utf8_lossy(&b).to_string(),
                        Some(Ok(WsMessage::Close(_))) | Some(Err(_)) | None => break,
                        Some(Ok(_)) => continue,
                    };
                    let Ok(frame) = serde_json::from_str::<Value>(&text) else { continue };
                    let op = frame["op"].as_u64().unwrap_or(u64::MAX);
                    sh.lock().gateway_received.push(frame.clone());
                    let ok = match op {
                        1 => send_text(&mut socket, r#"{"op":11,"s":null,"t":null,"d":null}"#.to_string()).await,
                        2 => {
                            let session_id = format!("standin-session-{}", sh.snowflake());
                            let shard = &frame["d"]["shard"];
                            let shard = (shard[0].as_u64().unwrap_or(0), shard[1].as_u64().unwrap_or(1).max(1));
                            let s = Arc::new(AtomicU64::new(1));
                            let ready = json!({
                                "op": 0, "s": 1, "t": "READY",
                                "d": {
                                    "v": 10,
                                    "user": bot_user_json(),
                                    "guilds": [{"id": GUILD_ID.to_string(), "unavailable": true}],
                                    "session_id": session_id,
                                    "resume_gateway_url": sh.ws_url(),
                                    "shard": [shard.0, shard.1],
                                    "application": {"id": APP_ID.to_string(), "flags": 0},
                                    "private_channels": [],
                                    "presences": [],
                                    "relationships": [],
                                    "_trace": ["standin"],
                                }
                            });
                            // Register the session before writing READY: the client may answer
                            // (commands PUT) before this task runs again.
                            {
                                let mut st = sh.lock();
                                st.ready_count += 1;
                                st.sessions.insert(session_id.clone(), s.clone());
                                if let Some(c) = st.conns.get_mut(&conn_id) {
                                    c.session = Some(session_id);
                                    c.shard = shard;
                                }
                            }
                            seq = Some(s);
                            let ok = send_text(&mut socket, ready.to_string()).await;
                            sh.bump();
                            ok
                        }
                        6 => {
                            let sid = frame["d"]["session_id"].as_str().unwrap_or("").to_string();
                            let found = {
                                let st = sh.lock();
                                if st.reject_resume { None } else { st.sessions.get(&sid).cloned() }
                            };
                            match found {
                                Some(s) => {
                                    let n = s.fetch_add(1, Ordering::SeqCst) + 1;
                                    {
                                        let mut st = sh.lock();
                                        st.resumed_count += 1;
                                        if let Some(c) = st.conns.get_mut(&conn_id) {
                                            c.session = Some(sid);
                                        }
                                    }
                                    seq = Some(s);
                                    let resumed = json!({"op": 0, "s": n, "t": "RESUMED", "d": {"_trace": ["standin"]}});
                                    let ok = send_text(&mut socket, resumed.to_string()).await;
                                    sh.bump();
                                    ok
                                }
                                None => send_text(&mut socket, r#"{"op":9,"s":null,"t":null,"d":false}"#.to_string()).await,
                            }
                        }
                        _ => true,
                    };
                    if !ok { break; }
                }
                out = rx.recv() => match out {
                    Some(Out::Dispatch { event, data, ack }) => {
                        let Some(s) = &seq else { continue };
                        let n = s.fetch_add(1, Ordering::SeqCst) + 1;
                        let frame = format!(r#"{{"op":0,"s":{n},"t":"{event}","d":{data}}}"#);
                        let at = Instant::now();
                        if !send_text(&mut socket, frame).await { break; }
                        if let Some(ack) = ack { let _ = ack.send(at); }
                    }
                    Some(Out::Close(code)) => {
                        let _ = socket.send(WsMessage::Close(Some(CloseFrame { code, reason: "stand-in disconnect".into() }))).await;
                        break;
                    }
                    None => break,
                },
            }
        }
    }
    sh.lock().conns.remove(&conn_id);
    sh.bump();
}
