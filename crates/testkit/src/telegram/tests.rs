use std::time::Duration;

use serde_json::{Value, json};

use super::*;

/// An HTTP client. reqwest 0.13 is built without a TLS provider of its own
/// (ring comes from rustls), so one is installed first.
fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn call(fake: &FakeTelegram, method: &str, body: Value) -> (u16, Value) {
    let response = http().post(format!("{}/bot123:abc/{method}", fake.url())).json(&body).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn methods_match_in_any_case_and_me_is_complete() {
    let fake = FakeTelegram::spawn().await.unwrap();
    let (status, body) = call(&fake, "GetMe", json!({})).await;
    assert_eq!(status, 200);
    for field in
        ["is_bot", "can_join_groups", "can_read_all_group_messages", "supports_inline_queries", "has_main_web_app"]
    {
        assert!(body["result"].get(field).is_some(), "{field}");
    }
    let (_, body) = call(&fake, "sendmessage", json!({ "chat_id": 5, "text": "hi" })).await;
    assert_eq!(body["result"]["chat"]["id"], 5);
    assert_eq!(fake.calls().last().unwrap().token, "123:abc");
}

#[tokio::test]
async fn get_updates_long_polls_and_honours_offset() {
    let fake = FakeTelegram::spawn().await.unwrap();
    let url = fake.url();
    let waiter = tokio::spawn(async move {
        http()
            .post(format!("{url}/botT/getUpdates"))
            .json(&json!({ "offset": 0, "timeout": 5 }))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let id = fake.inject_text(42, "/reply hello");
    let body = waiter.await.unwrap();
    assert_eq!(body["result"][0]["update_id"], id);
    assert_eq!(body["result"][0]["message"]["entities"][0]["type"], "bot_command");
    let (_, body) = call(&fake, "getUpdates", json!({ "offset": id + 1, "timeout": 0 })).await;
    assert_eq!(body["result"], json!([]));
}

#[tokio::test]
async fn faults_are_shaped_like_telegram_errors() {
    let fake = FakeTelegram::spawn().await.unwrap();
    fake.fail_next(1, Fault::RetryAfter(3));
    fake.fail_next_method("SendMessage", 1, Fault::Server(502));
    let (status, body) = call(&fake, "sendChatAction", json!({ "chat_id": 1, "action": "typing" })).await;
    assert_eq!((status, body["parameters"]["retry_after"].as_u64()), (429, Some(3)));
    let (status, body) = call(&fake, "sendMessage", json!({ "chat_id": 1, "text": "x" })).await;
    assert_eq!((status, body["ok"].as_bool()), (502, Some(false)));
    let (status, _) = call(&fake, "sendMessage", json!({ "chat_id": 1, "text": "x" })).await;
    assert_eq!(status, 200);
    assert_eq!(fake.calls_since(0, "sendMessage").len(), 1, "failed calls are not counted as sent");
}

#[tokio::test]
async fn form_bodies_and_waiting_for_calls() {
    let fake = FakeTelegram::spawn().await.unwrap();
    let mark = fake.mark();
    let url = fake.url();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        http()
            .post(format!("{url}/botT/SendMessage"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("chat_id=9&text=a%26b+c")
            .send()
            .await
            .unwrap();
    });
    let calls = fake.wait_calls(mark, "sendMessage", 1, Duration::from_secs(5)).await.unwrap();
    assert_eq!(calls[0].str("text"), Some("a&b c"));
    assert!(fake.wait_calls(mark, "sendMessage", 2, Duration::from_millis(100)).await.is_err());
}

#[tokio::test]
async fn message_drafts_are_checked_as_the_bot_api_checks_them() {
    let fake = FakeTelegram::spawn().await.unwrap();
    let draft = |chat: i64, id: i64, text: &str| json!({ "chat_id": chat, "draft_id": id, "text": text });
    assert_eq!(call(&fake, "SendMessageDraft", draft(5, 1, "hey")).await, (200, json!({ "ok": true, "result": true })));
    for (body, problem) in [
        (draft(-100, 1, "hey"), "private chats"),
        (draft(5, 0, "hey"), "non-zero"),
        (draft(5, 1, ""), "1-4096"),
        (draft(5, 1, &"x".repeat(4097)), "1-4096"),
    ] {
        let (status, answer) = call(&fake, "sendMessageDraft", body).await;
        assert_eq!(status, 400);
        assert!(answer["description"].as_str().unwrap().contains(problem), "{answer}");
    }
    fake.fail_next_method("sendmessagedraft", 1, Fault::Refused("Not Found: method not found".into()));
    let (status, answer) = call(&fake, "sendMessageDraft", draft(5, 1, "hey")).await;
    assert_eq!((status, answer["description"].as_str()), (400, Some("Not Found: method not found")));
}
