use std::path::PathBuf;

use muse_testkit::{FakeOpenAi, FakeTelegram, Rule};
use muse_tests::{BotProcess, PATIENCE, ask, files_named, text};

/// The data of the last `<<<CARD-…` fence of a system message (the first
/// mention is the sentence that explains the fence).
fn card_data(system: &str) -> Option<&str> {
    let start = system.rfind("<<<CARD-")?;
    let marker_end = start + 3 + system[start + 3..].find('\n')?;
    let marker = &system[start + 3..marker_end];
    let end = system[marker_end..].find(&format!("{marker}>>>"))? + marker_end;
    Some(&system[marker_end..end])
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fan_card_and_the_creators_voice_shape_the_drafts_and_are_exported_and_forgotten() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().to_str().unwrap().to_owned();
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    model.rule(Rule::contains("what's up", "1. back from the trail?\n2. missed you, hiker\n3. where to next?"));
    model.rule(Rule::contains("you there", "1. always for you\n2. right here babe\n3. miss me already?"));
    let _bot = BotProcess::telegram(&telegram, Some(&model), &[("DATA_DIR", &dir), ("STORAGE_DURABLE", "true")]).await;

    let noted = ask(&telegram, 21, "/fan alex loves hiking, bought 3 PPVs").await;
    assert!(text(&noted).contains("Noted on alex's card"), "{}", text(&noted));
    assert!(!files_named(data.path(), "fan-21-alex.").is_empty(), "the card is on disk");
    assert!(text(&ask(&telegram, 21, "/voice add omg stoppp 🙈🙈").await).contains("1 of 20"));

    let drafts = ask(&telegram, 21, "/reply @alex hey what's up").await;
    assert!(text(&drafts).contains("back from the trail"), "{}", text(&drafts));
    let again = ask(&telegram, 21, "/reply @alex you there?").await;
    assert!(text(&again).contains("right here babe"), "{}", text(&again));

    let requests = model.chat_requests();
    let first = requests[0].messages();
    let (system, user) = (&first[0].1, &first.last().unwrap().1);
    assert_eq!(user, "hey what's up", "the fan's own text travels alone");
    let card = card_data(system).expect("the card is fenced in the system message");
    assert!(card.contains("hiking"), "{card}");
    assert!(system.contains("omg stoppp 🙈🙈"), "the voice example is in the prompt: {system}");
    let second = requests[1].messages();
    let card = card_data(&second[0].1).expect("fenced again");
    assert!(card.contains("hey what's up") && card.contains("back from the trail"), "the first exchange: {card}");

    let mark = telegram.mark();
    telegram.inject_text(21, "/export");
    let documents = telegram.wait_calls(mark, "sendDocument", 1, PATIENCE).await.unwrap();
    telegram.wait_calls(mark, "sendMessage", 1, PATIENCE).await.unwrap();
    let export: serde_json::Value =
        serde_json::from_str(documents[0].params["document"]["content"].as_str().unwrap()).unwrap();
    assert_eq!(export["fans"][0]["name"], "alex");
    assert_eq!(export["fans"][0]["notes"][0], "loves hiking, bought 3 PPVs");
    assert_eq!(export["session"]["voice"][0], "omg stoppp 🙈🙈");

    let forgot = ask(&telegram, 21, "/fan alex forget").await;
    assert!(text(&forgot).contains("Deleted alex's card"), "{}", text(&forgot));
    assert_eq!(files_named(data.path(), "fan-21-alex."), Vec::<PathBuf>::new(), "the card is gone from disk");
    assert!(text(&ask(&telegram, 21, "/fans").await).contains("No fan cards yet"));

    // /forget takes every card with it.
    ask(&telegram, 21, "/fan sam tips every friday").await;
    assert!(!files_named(data.path(), "fan-21-sam.").is_empty());
    ask(&telegram, 21, "/forget").await;
    let mark = telegram.mark();
    telegram.inject_callback(21, "forget:yes", 1);
    let done = telegram.wait_calls(mark, "sendMessage", 1, PATIENCE).await.unwrap();
    assert!(text(&done[0]).contains("deleted"), "{}", text(&done[0]));
    assert_eq!(files_named(data.path(), "fan-21-"), Vec::<PathBuf>::new(), "no card is left on disk");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_model_repeating_itself_is_asked_again_and_the_user_never_sees_a_repeat() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    let same = "1. just got home and you're the first one I thought of\n\
2. depends on what you had in mind for tonight babe\n\
3. trouble as usual, do you want to find out more";
    model.rule(Rule::always(same));
    let _bot = BotProcess::telegram(&telegram, Some(&model), &[("ADMIN_IDS", "900")]).await;
    let first = text(&ask(&telegram, 22, "/reply hey").await).to_owned();
    assert!(first.contains("first one I thought of"), "{first}");
    let second = text(&ask(&telegram, 22, "/reply hey again").await).to_owned();
    assert_eq!(model.chat_requests().len(), 3, "one regeneration");
    for line in same.lines() {
        let draft = line[3..].to_owned();
        assert!(!second.contains(&draft), "{draft:?} was shown twice: {second}");
    }
    let stats = text(&ask(&telegram, 900, "/stats").await).to_owned();
    assert!(stats.contains("Repeated drafts replaced: 1"), "{stats}");
}
