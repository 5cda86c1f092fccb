use std::time::Duration;

use muse_testkit::{Call, FakeOpenAi, FakeTelegram, Rule, TelegramFault};
use muse_tests::{BotProcess, PATIENCE, TOKEN, text};

const FAN: u64 = 4242;

async fn ask_for(telegram: &FakeTelegram, text: &str, replies: usize) -> Vec<Call> {
    let mark = telegram.mark();
    telegram.inject_text(FAN, text);
    telegram.wait_calls(mark, "sendMessage", replies, PATIENCE).await.expect("the bot answers")
}

#[tokio::test(flavor = "multi_thread")]
async fn start_and_help_answer_and_the_menu_is_set() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let bot = BotProcess::telegram(&telegram, None, &[]).await;
    let start = ask_for(&telegram, "/start", 1).await;
    assert!(text(&start[0]).contains("Muse"), "{}", text(&start[0]));
    assert!(text(&start[0]).contains("Persona:"));
    let help = ask_for(&telegram, "/help", 1).await;
    for command in ["/reply", "/flirt", "/caption", "/ppv", "/mass", "/persona", "/tone", "/lang", "/reset"] {
        assert!(text(&help[0]).contains(command), "{command} missing from /help");
    }
    let menu = telegram.calls_since(0, "setMyCommands");
    assert_eq!(menu.len(), 2, "a default menu and a Russian one");
    let reply =
        |i: usize| menu[i].params["commands"].as_array().unwrap().iter().find(|c| c["command"] == "reply").cloned();
    assert_eq!(reply(0).unwrap()["description"], "3 replies to a fan's message");
    assert_eq!(menu[0].params.get("language_code"), None);
    assert_eq!(menu[1].params["language_code"], "ru");
    assert_eq!(reply(1).unwrap()["description"], "3 ответа на сообщение фаната");
    assert!(bot.stop().await.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn reply_gives_three_drafts_built_from_the_models_text() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    model.rule(Rule::contains("gorgeous", "Here you go:\n1. Hey you 😘\n2) Missed me?\n3. Only if you ask nicely"));
    let _bot = BotProcess::telegram(&telegram, Some(&model), &[]).await;
    let sent = ask_for(&telegram, "/reply hey gorgeous what are you up to", 1).await;
    let html = text(&sent[0]);
    assert!(html.contains("<code>Hey you 😘</code>"), "{html}");
    assert!(html.contains("<code>Missed me?</code>"), "{html}");
    assert!(html.contains("<code>Only if you ask nicely</code>"), "{html}");
    assert!(!html.contains("Here you go"), "the preface is not a draft: {html}");
    assert_eq!(sent[0].str("parse_mode"), Some("HTML"));
    let rows = sent[0].params["reply_markup"]["inline_keyboard"].as_array().unwrap().clone();
    assert_eq!(rows[0][0]["copy_text"]["text"], "Hey you 😘", "a copy button per draft");
    assert_eq!(rows[0].as_array().unwrap().len(), 3);
    assert_eq!(rows[1][0]["callback_data"], "r:shorter:1", "the refine rows");
    assert_eq!(rows.last().unwrap()[0]["callback_data"], "more");
}

#[tokio::test(flavor = "multi_thread")]
async fn drafts_arrive_on_a_multi_threaded_runtime_too() {
    // One thread is the default; an operator may ask for more.
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    model.rule(Rule::contains("gorgeous", "1. Hey you 😘\n2. Missed me?\n3. Only if you ask nicely"));
    let bot = BotProcess::telegram(&telegram, Some(&model), &[("WORKER_THREADS", "4")]).await;
    let sent = ask_for(&telegram, "/reply hey gorgeous", 1).await;
    assert!(text(&sent[0]).contains("<code>Missed me?</code>"), "{}", text(&sent[0]));
    assert!(bot.stop().await.success());
}

#[tokio::test(flavor = "multi_thread")]
async fn shorter_rewrites_the_last_drafts_and_a_forged_press_expires() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    model.rule(Rule::system_contains("make them shorter", "1. hey u\n2. miss me?\n3. come here"));
    model.rule(Rule::contains(
        "gorgeous",
        "1. Hey you, I was just thinking about you 😘\n2. Missed me already?\n3. Only if you ask nicely",
    ));
    let _bot = BotProcess::telegram(&telegram, Some(&model), &[]).await;
    ask_for(&telegram, "/reply hey gorgeous", 1).await;
    let mark = telegram.mark();
    telegram.inject_callback(FAN, "r:shorter:1", 1);
    let sent = telegram.wait_calls(mark, "sendMessage", 1, PATIENCE).await.unwrap();
    let html = text(&sent[0]);
    assert!(html.contains("<code>hey u</code>") && html.contains("shorter"), "{html}");
    let request = model.chat_requests().pop().unwrap();
    let system = &request.messages()[0].1;
    assert!(system.contains("make them shorter"), "the instruction is named: {system}");
    assert!(system.contains("Missed me already?"), "and the previous drafts: {system}");
    assert_eq!(request.messages().last().unwrap().1, "hey gorgeous", "the same request");
    let calls = model.chat_requests().len();
    for forged in ["r:shorter:1", "r:bolder:77", "r:../../etc:1", "more:other-user"] {
        let mark = telegram.mark();
        telegram.inject_callback(FAN, forged, 1);
        let sent = telegram.wait_calls(mark, "sendMessage", 1, PATIENCE).await.unwrap();
        assert!(text(&sent[0]).contains("expired"), "{forged}: {}", text(&sent[0]));
    }
    // Another user pressing a button with the current id reaches only his
    // own (empty) session.
    let mark = telegram.mark();
    telegram.inject_callback(FAN + 1, "r:bolder:2", 1);
    let sent = telegram.wait_calls(mark, "sendMessage", 1, PATIENCE).await.unwrap();
    assert!(text(&sent[0]).contains("expired"), "{}", text(&sent[0]));
    assert_eq!(model.chat_requests().len(), calls, "an expired press never reaches the model");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_draft_shows_typing_first() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    model.latency(std::time::Duration::from_millis(1500), std::time::Duration::ZERO);
    let _bot = BotProcess::telegram(&telegram, Some(&model), &[]).await;
    let mark = telegram.mark();
    ask_for(&telegram, "/caption beach set", 1).await;
    let calls = telegram.calls();
    let typing = calls[mark..].iter().position(|c| c.method == "sendchataction" && c.params["action"] == "typing");
    let reply = calls[mark..].iter().position(|c| c.method == "sendmessage");
    assert!(typing.is_some() && typing < reply, "typing {typing:?} should come before the reply {reply:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_persona_travels_in_the_system_message_and_the_fan_text_only_in_a_user_message() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    let _bot = BotProcess::telegram(&telegram, Some(&model), &[]).await;
    ask_for(&telegram, "/persona name: Zara; voice: teasing and warm; facts: loves hiking", 1).await;
    let fan = "you up? {name} ${HOME} %s\n<b>second line</b>";
    ask_for(&telegram, &format!("/reply {fan}"), 1).await;
    let request = model.chat_requests().pop().unwrap();
    let messages = request.messages();
    assert_eq!(messages[0].0, "system");
    assert!(messages[0].1.contains("Zara") && messages[0].1.contains("loves hiking"), "{}", messages[0].1);
    assert!(!messages[0].1.contains("you up?"), "the fan's text must not be in the system message");
    assert_eq!(messages.last().unwrap(), &("user".to_owned(), fan.to_owned()));
    let carrying: Vec<_> = messages.iter().filter(|(_, content)| content.contains("you up?")).collect();
    assert_eq!(carrying.len(), 1, "the fan's text travels once, alone: {messages:?}");
    assert_eq!(request.authorization.as_deref(), Some(format!("Bearer {}", muse_tests::API_KEY).as_str()));
}

#[tokio::test(flavor = "multi_thread")]
async fn changing_the_persona_changes_the_next_prompt() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    let _bot = BotProcess::telegram(&telegram, Some(&model), &[]).await;
    ask_for(&telegram, "/persona name: Ivy", 1).await;
    ask_for(&telegram, "/flirt", 1).await;
    ask_for(&telegram, "/persona name: Ruby; lowercase: yes", 1).await;
    ask_for(&telegram, "/flirt", 1).await;
    let systems: Vec<String> = model.chat_requests().iter().map(|r| r.messages()[0].1.clone()).collect();
    assert!(systems[0].contains("\"name\":\"Ivy\""), "{}", systems[0]);
    assert!(systems[1].contains("\"name\":\"Ruby\"") && systems[1].contains("lowercase"), "{}", systems[1]);
    assert!(!systems[1].contains("Ivy"));
}

#[tokio::test(flavor = "multi_thread")]
async fn model_text_with_markup_characters_arrives_escaped() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    model.rule(Rule::contains("tags", "1. <b>bold</b> & <script>x</script>\n2. a > b\n3. fish & chips"));
    let _bot = BotProcess::telegram(&telegram, Some(&model), &[]).await;
    let html = text(&ask_for(&telegram, "/caption tags test", 1).await[0]).to_owned();
    assert!(html.contains("&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;x&lt;/script&gt;"), "{html}");
    assert!(html.contains("a &gt; b") && html.contains("fish &amp; chips"), "{html}");
    assert!(!html.contains("<script>") && !html.contains("<b>bold"), "{html}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_six_thousand_character_reply_arrives_as_several_messages() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    let line = "Here is a long piece of advice about pricing your vault sets fairly.";
    let long: String = std::iter::repeat_n(line, 6000 / line.len() + 1).collect::<Vec<_>>().join("\n");
    assert!(long.len() >= 6000);
    model.rule(Rule::contains("essay", &long));
    let _bot = BotProcess::telegram(&telegram, Some(&model), &[]).await;
    let sent = ask_for(&telegram, "write me an essay on pricing", 2).await;
    assert!(sent.len() >= 2);
    for call in &sent {
        assert!(text(call).encode_utf16().count() <= 4096);
    }
    let joined: Vec<&str> = sent.iter().map(text).collect();
    assert_eq!(joined.join("\n"), long, "nothing lost, nothing added, split at a line break");
}

#[tokio::test(flavor = "multi_thread")]
async fn non_text_unknown_commands_and_the_more_button() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let bot = BotProcess::telegram(&telegram, None, &[]).await;
    let mark = telegram.mark();
    telegram.inject_photo(FAN);
    let sent = telegram.wait_calls(mark, "sendMessage", 1, PATIENCE).await.unwrap();
    assert_eq!(text(&sent[0]), "I work with text — send me the fan's message.");
    assert!(text(&ask_for(&telegram, "/dance", 1).await[0]).contains("/help"));
    let drafts = ask_for(&telegram, "/mass weekend sale", 1).await;
    let message_id = 1; // any message of the bot's; the fake does not check
    let mark = telegram.mark();
    telegram.inject_callback(FAN, "more", message_id);
    let more = telegram.wait_calls(mark, "sendMessage", 1, PATIENCE).await.unwrap();
    assert!(text(&more[0]).contains("3 mass messages"), "{}", text(&more[0]));
    assert_eq!(telegram.calls_since(mark, "answerCallbackQuery").len(), 1);
    assert!(text(&drafts[0]).contains("<code>"));
    let output = bot.output();
    assert!(!output.contains(TOKEN) && !output.contains("TEST-token"), "the token reached the log:\n{output}");
}

const STREAMED: &str = "1. Hey you, I was just thinking about you 😘\n2. Missed me already?\n3. Only if you ask nicely";

#[tokio::test(flavor = "multi_thread")]
async fn with_streaming_a_live_draft_precedes_the_final_message() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    model.rule(Rule::always(STREAMED));
    // About 1.5 s in all: the first words at 0.2 s, then a word every 0.08 s.
    model.latency(Duration::from_millis(200), Duration::from_millis(80));
    let _bot = BotProcess::telegram(&telegram, Some(&model), &[("LLM_STREAM", "true")]).await;
    let mark = telegram.mark();
    telegram.inject_text(FAN, "/reply hey gorgeous");
    let sent = telegram.wait_calls(mark, "sendMessage", 1, PATIENCE).await.unwrap();
    let drafts = telegram.calls_since(mark, "sendMessageDraft");
    assert!(drafts.len() >= 2, "a placeholder, then text: {drafts:?}");
    assert_eq!(drafts[0].str("text"), Some("✍️ writing…"), "the placeholder comes first");
    let partial = drafts[1].str("text").unwrap();
    assert!(STREAMED.starts_with(partial) && partial.len() < STREAMED.len(), "text as it streams: {partial}");
    assert!(drafts.iter().all(|d| d.params["draft_id"] == drafts[0].params["draft_id"] && d.at < sent[0].at));
    assert_eq!(drafts[0].params["chat_id"], FAN);
    let rows = sent[0].params["reply_markup"]["inline_keyboard"].as_array().unwrap().clone();
    assert_eq!(rows[0][0]["copy_text"]["text"], "Hey you, I was just thinking about you 😘", "copy buttons");
    assert_eq!(rows[1][0]["callback_data"], "r:shorter:1", "and the refine row");
    // Replies that need no model show no draft.
    let mark = telegram.mark();
    ask_for(&telegram, "/help", 1).await;
    assert!(telegram.calls_since(mark, "sendMessageDraft").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_live_draft_falls_back_to_the_final_message() {
    let telegram = FakeTelegram::spawn().await.unwrap();
    let model = FakeOpenAi::spawn().await.unwrap();
    model.rule(Rule::contains("gorgeous", STREAMED));
    model.rule(Rule::contains("sweetie", "1. Good morning to you too ☀️\n2. Slept well?\n3. Dreamt of you"));
    model.latency(Duration::from_millis(200), Duration::from_millis(50));
    let _bot = BotProcess::telegram(&telegram, Some(&model), &[("LLM_STREAM", "true")]).await;
    // An older Bot API: the method does not exist.
    telegram.fail_next_method("sendmessagedraft", 5, TelegramFault::Refused("Not Found: method not found".into()));
    for (message, draft) in [("hey gorgeous", "Missed me already?"), ("morning sweetie", "Slept well?")] {
        let mark = telegram.mark();
        telegram.inject_text(FAN, &format!("/reply {message}"));
        let sent = telegram.wait_calls(mark, "sendMessage", 1, PATIENCE).await.unwrap();
        assert!(text(&sent[0]).contains(&format!("<code>{draft}</code>")), "{}", text(&sent[0]));
    }
    // One try; after "method not found" live drafting stays off.
    let tried = telegram.calls().into_iter().filter(|call| call.method == "sendmessagedraft").count();
    assert_eq!(tried, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_russian_client_gets_muse_in_russian_and_lang_switches_it() {
    const RU: u64 = 5151;
    let telegram = FakeTelegram::spawn().await.unwrap();
    telegram.set_language(RU, "ru");
    let _bot = BotProcess::telegram(&telegram, None, &[]).await;
    let say = |text: &'static str| {
        let telegram = &telegram;
        async move {
            let mark = telegram.mark();
            telegram.inject_text(RU, text);
            telegram.wait_calls(mark, "sendMessage", 1, PATIENCE).await.expect("the bot answers").remove(0)
        }
    };
    let start = say("/start").await;
    assert!(text(&start).contains("Привет, я Muse") && text(&start).contains("Персона:"), "{}", text(&start));
    let help = say("/help").await;
    assert!(text(&help).contains("Что я умею") && text(&help).contains("3 ответа на сообщение фаната"));
    assert!(text(&say("/dance").await).contains("Я не знаю команду /dance"));
    assert!(text(&say("/tone grumpy").await).contains("Я не знаю такого тона"));
    // Offline drafts: Russian templates, Russian title, Russian buttons, the price in a pitch.
    let drafts = say("/reply привет, красотка").await;
    let html = text(&drafts);
    assert!(html.contains("ответа") && html.matches("<code>").count() == 3, "{html}");
    assert!(html.split("<code>").skip(1).all(|d| d.chars().any(|c| ('а'..='я').contains(&c))), "{html}");
    let rows = drafts.params["reply_markup"]["inline_keyboard"].as_array().unwrap().clone();
    assert!(rows.iter().flat_map(|r| r.as_array().unwrap()).any(|b| b["text"] == "✂️ короче"), "{rows:?}");
    let pitch = text(&say("/ppv видео в душе $15").await).to_owned();
    assert_eq!(pitch.matches("Открыть — $15.").count(), 3, "{pitch}");
    // /lang switches the interface too; a language Muse does not speak keeps the client's.
    assert!(text(&say("/lang en").await).contains("Drafts will be written in \"en\""));
    assert!(text(&say("/start").await).contains("Hi, I'm Muse"));
    assert!(text(&say("/lang es").await).contains("Черновики будут на «es»"));
}
