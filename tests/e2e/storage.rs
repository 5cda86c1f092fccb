use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use muse_storage::{FileStore, FileStoreConfig, Store};
use muse_testkit::FakeTelegram;
use muse_tests::{BotProcess, PATIENCE, ask, files_named, run, text};

#[tokio::test(flavor = "multi_thread")]
async fn a_persona_survives_a_restart_and_a_crash() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap().to_owned();
    let telegram = FakeTelegram::spawn().await.unwrap();
    let bot = BotProcess::telegram(&telegram, None, &[("DATA_DIR", &dir)]).await;
    ask(&telegram, 11, "/persona name: Nova; voice: dreamy").await;
    assert!(bot.stop().await.success(), "a clean stop after SIGTERM");
    let bot = BotProcess::telegram(&telegram, None, &[("DATA_DIR", &dir), ("STORAGE_DURABLE", "true")]).await;
    assert!(text(&ask(&telegram, 11, "/start").await).contains("Nova"), "restored after a restart");
    ask(&telegram, 11, "/tone bold").await;
    bot.kill().await;
    let _bot = BotProcess::telegram(&telegram, None, &[("DATA_DIR", &dir)]).await;
    assert!(text(&ask(&telegram, 11, "/tone").await).contains("bold"), "durable writes survive SIGKILL");
}

#[tokio::test(flavor = "multi_thread")]
async fn forget_removes_the_users_files_after_confirmation_and_export_sends_a_json_document() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap().to_owned();
    let telegram = FakeTelegram::spawn().await.unwrap();
    let _bot = BotProcess::telegram(&telegram, None, &[("DATA_DIR", &dir), ("STORAGE_DURABLE", "true")]).await;
    ask(&telegram, 12, "/persona name: Wren").await;
    assert!(!files_named(data.path(), "user-12.").is_empty(), "the session is on disk");

    let mark = telegram.mark();
    telegram.inject_text(12, "/export");
    let documents = telegram.wait_calls(mark, "sendDocument", 1, PATIENCE).await.unwrap();
    let said = telegram.wait_calls(mark, "sendMessage", 1, PATIENCE).await.unwrap();
    assert!(text(&said[0]).contains("everything Muse stores about you"));
    let export: serde_json::Value =
        serde_json::from_str(documents[0].params["document"]["content"].as_str().unwrap()).unwrap();
    assert_eq!(export["session"]["persona"]["name"], "Wren");
    assert_eq!(documents[0].params["document"]["file_name"], "muse-export.json");

    let confirm = ask(&telegram, 12, "/forget").await;
    assert!(text(&confirm).contains("Are you sure"));
    assert!(!files_named(data.path(), "user-12.").is_empty(), "nothing deleted before the confirmation");
    let mark = telegram.mark();
    telegram.inject_callback(12, "forget:yes", 1);
    let done = telegram.wait_calls(mark, "sendMessage", 1, PATIENCE).await.unwrap();
    assert!(text(&done[0]).contains("deleted"), "{}", text(&done[0]));
    assert_eq!(files_named(data.path(), "user-12."), Vec::<PathBuf>::new(), "the user's files are gone");
    assert!(text(&ask(&telegram, 12, "/persona").await).contains("no persona yet"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_model_and_bans_survive_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap().to_owned();
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = muse_testkit::FakeOpenAi::spawn().await.unwrap();
    let env = [("DATA_DIR", dir.as_str()), ("ADMIN_IDS", "900")];
    let bot = BotProcess::telegram(&telegram, Some(&model), &env).await;
    ask(&telegram, 900, "/model llama-3.3-70b-versatile").await;
    assert!(text(&ask(&telegram, 900, "/ban 66").await).contains("banned"));
    bot.stop().await;
    let _bot = BotProcess::telegram(&telegram, Some(&model), &env).await;
    assert!(text(&ask(&telegram, 900, "/model").await).contains("llama-3.3-70b-versatile"));
    let mark = telegram.mark();
    telegram.inject_text(66, "/start");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(telegram.sent_texts(mark).is_empty(), "a banned user gets silence after the restart");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_instance_on_the_same_data_dir_exits_with_a_clear_message() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap().to_owned();
    let telegram = FakeTelegram::spawn().await.unwrap();
    let _first = BotProcess::telegram(&telegram, None, &[("DATA_DIR", &dir)]).await;
    let second = run(&["chat"], "/start\n", &[("DATA_DIR", &dir)]).await;
    assert!(!second.status.success());
    assert!(second.stderr.contains("in use by another Muse process"), "{}", second.stderr);
}

/// Kills a writing process with SIGKILL at random moments and checks after
/// each restart that every document parses, no temporary file is left,
/// and in durable mode no acknowledged write is lost.
#[tokio::test(flavor = "multi_thread")]
async fn crash_torture_sigkill_never_corrupts_or_loses_acknowledged_writes() {
    let runs: u32 = std::env::var("MUSE_TORTURE_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let data = tempfile::tempdir().unwrap();
    let writer = env!("CARGO_BIN_EXE_torture-writer");
    let mut acked: HashMap<String, u64> = HashMap::new();
    let mut total_acks = 0usize;
    for run in 0..runs {
        let durable = run % 2 == 0;
        let mut child = tokio::process::Command::new(writer)
            .args([
                data.path().to_str().unwrap(),
                if durable { "durable" } else { "behind" },
                &(run as u64 * 2 + 1).to_string(),
            ])
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let pause = 3 + (u64::from(run) * 7919) % 40;
        tokio::time::sleep(Duration::from_millis(pause)).await;
        child.start_kill().unwrap();
        let output = child.wait_with_output().await.unwrap();
        if durable {
            for line in String::from_utf8_lossy(&output.stdout).lines() {
                if let Some((key, value)) = line.split_once(' ')
                    && let Ok(value) = value.parse::<u64>()
                {
                    acked.insert(key.to_owned(), value);
                    total_acks += 1;
                }
            }
        }
        let store = FileStore::open(FileStoreConfig::new(data.path())).await.unwrap();
        assert!(files_named(data.path(), ".muse-tmp-").is_empty(), "run {run}: a temporary file was left");
        for k in 0..20 {
            let key = format!("k{k}");
            let document = store.get(&key).await.unwrap();
            if let Some(expected) = acked.get(&key) {
                let document = document.unwrap_or_else(|| panic!("run {run}: acknowledged {key} is gone"));
                let stored: u64 = String::from_utf8_lossy(&document.body).split(' ').next().unwrap().parse().unwrap();
                assert!(stored >= *expected, "run {run}: {key} went back from {expected} to {stored}");
            }
        }
        assert_eq!(store.health().quarantined, 0, "run {run}: a document was corrupt");
        store.close().await.unwrap();
    }
    println!("crash torture: {runs} SIGKILLs, {total_acks} acknowledged durable writes checked");
    assert!(total_acks > 0, "the writer acknowledged writes");
}
