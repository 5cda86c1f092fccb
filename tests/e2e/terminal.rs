use muse_testkit::{FakeOpenAi, Rule};
use muse_tests::run;

#[tokio::test(flavor = "multi_thread")]
async fn chat_answers_a_drafting_command_with_the_model() {
    let model = FakeOpenAi::spawn().await.unwrap();
    model.rule(Rule::contains("renewed", "1. welcome back 😘\n2. you stayed!\n3. round two?"));
    let url = model.base_url();
    let env = [("LLM_BASE_URL", url.as_str()), ("LLM_API_KEY", "k")];
    let done = run(&["chat"], "/flirt he just renewed\n", &env).await;
    assert!(done.status.success(), "{done:?}");
    assert!(done.stdout.contains("Drafting with llama-3.1-8b-instant"), "{}", done.stdout);
    assert!(done.stdout.contains("1. welcome back 😘\n2. you stayed!\n3. round two?"), "{}", done.stdout);
    assert_eq!(model.chat_requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_works_offline_and_ends_cleanly_at_end_of_input() {
    let done = run(&["chat"], "/reply hey beautiful\n/tone classy\n/caption sunset\n", &[]).await;
    assert!(done.status.success(), "{done:?}");
    assert!(done.stdout.contains("Offline writer"), "{}", done.stdout);
    assert!(done.stdout.contains("3 replies\n1. ") && done.stdout.contains("3 captions\n1. "), "{}", done.stdout);
    assert!(done.stdout.contains("Tone set to classy."));
    assert!(done.stdout.trim_end().ends_with("Bye."));
}

/// The terminal is the operator's: admin commands work, and /forget asks for
/// `yes` on the next line.
#[tokio::test(flavor = "multi_thread")]
async fn in_the_terminal_the_operator_is_an_admin_and_forget_asks_for_yes() {
    let input = "/persona name: Kim\n/stats\n/forget\nno\n/persona\n/forget\nyes\n/persona\n";
    let done = run(&["chat"], input, &[]).await;
    assert!(done.status.success(), "{done:?}");
    let out = &done.stdout;
    assert!(out.contains("Users: ") && !out.contains("Admins only."), "{out}");
    assert_eq!(out.matches("Type yes to delete everything").count(), 2, "{out}");
    let kept = out.find("Nothing was deleted.").expect("`no` keeps everything");
    let deleted = out.find("everything Muse stored about you is deleted").expect("`yes` deletes");
    assert!(kept < deleted);
    assert!(out[kept..deleted].contains("Kim"), "still there after `no`: {out}");
    assert!(out[deleted..].contains("no persona yet"), "gone after `yes`: {out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_token_the_bot_exits_64_and_suggests_chat() {
    let done = run(&[], "", &[]).await;
    assert_eq!(done.status.code(), Some(64));
    assert!(done.stderr.contains("TELEGRAM_BOT_TOKEN") && done.stderr.contains("muse-bot chat"), "{}", done.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_value_stops_the_program_naming_the_setting() {
    let done = run(&["chat"], "", &[("MAX_HISTORY_SIZE", "fifty")]).await;
    assert_eq!(done.status.code(), Some(64));
    assert!(done.stderr.contains("MAX_HISTORY_SIZE"), "{}", done.stderr);
    let done = run(&["chat"], "", &[("LLM_BASE_URL", "groq.com")]).await;
    assert_eq!(done.status.code(), Some(64));
    assert!(done.stderr.contains("LLM_BASE_URL"), "{}", done.stderr);
}

/// The terminal runs the same stack as Telegram, without Telegram's
/// per-chat send limits (20 a minute), so sixty turns take a second here.
#[tokio::test(flavor = "multi_thread")]
async fn after_sixty_messages_the_model_never_receives_more_than_the_history_limit() {
    let model = FakeOpenAi::spawn().await.unwrap();
    let url = model.base_url();
    let input: String = (0..60).map(|i| format!("message number {i}\n")).collect();
    // Limits high enough, and screening off, so that this test is about
    // history only: "message number 59" is in the screen's grey zone (0.45
    // with the shipped model), where it would reach the model fenced.
    let env = [
        ("LLM_BASE_URL", url.as_str()),
        ("LLM_API_KEY", "k"),
        ("RATE_LIMIT_PER_MINUTE", "1000"),
        ("AI_RATE_LIMIT_PER_MINUTE", "1000"),
        ("GLOBAL_AI_RATE_LIMIT_PER_MINUTE", "1000"),
        ("INJECTION_FLAG_SCORE", "1"),
        ("INJECTION_BLOCK_SCORE", "1"),
    ];
    let done = run(&["chat"], &input, &env).await;
    assert!(done.status.success(), "{done:?}");
    let requests = model.chat_requests();
    assert_eq!(requests.len(), 60);
    for request in &requests {
        let turns = request.messages().iter().filter(|(role, _)| role != "system").count();
        assert!(turns <= 50, "{turns} messages of history reached the model");
    }
    let last = requests.last().unwrap().messages();
    assert_eq!(last.last().unwrap().1, "message number 59");
    assert_eq!(last.iter().filter(|(role, _)| role != "system").count(), 50, "the limit is used, not undershot");
    let first_kept = &last[1].1;
    assert!(
        first_kept.starts_with("message number 35") || first_kept == "message number 34",
        "oldest kept: {first_kept}"
    );
}

/// A Russian locale gets the terminal, its replies and its offline drafts in Russian.
#[tokio::test(flavor = "multi_thread")]
async fn a_russian_terminal_speaks_russian() {
    let input = "/start\n/reply привет, красотка\n/forget\nда\n";
    let done = run(&["chat"], input, &[("LANG", "ru_RU.UTF-8")]).await;
    assert!(done.status.success(), "{done:?}");
    let out = &done.stdout;
    assert!(out.starts_with("Muse в терминале. Офлайн-автор"), "{out}");
    assert!(out.contains("Привет, я Muse") && out.contains("3 ответа\n1. "), "{out}");
    assert!(out.contains("Напиши «да»") && out.contains("всё, что Muse хранила о тебе, удалено"), "{out}");
    assert!(out.trim_end().ends_with("Пока."), "{out}");
}
