use std::sync::{Arc, Mutex};

use tower::{BoxError, ServiceExt, service_fn};

use super::*;
use crate::command::MENU;
use crate::fans::FanCard;
use crate::model::{ModelRefusal, ModelReply, ModelRequest};
use crate::persona::{Persona, Tone};
use crate::reply::{Button, Part, Press};

type Journal = Arc<Mutex<Vec<ModelRequest>>>;

fn model(answer: &'static str) -> (ModelService, Journal) {
    let journal = Journal::default();
    let seen = journal.clone();
    let service = service_fn(move |request: ModelRequest| {
        seen.lock().unwrap().push(request.clone());
        async move {
            if answer == "FAIL" {
                return Err::<ModelReply, BoxError>("provider down".into());
            }
            Ok(ModelReply {
                text: answer.to_owned(),
                model: request.model,
                usage: None,
                fallback: answer.contains("backup"),
            })
        }
    });
    (ModelService::new(service), journal)
}

async fn send(assistant: &Assistant, text: &str) -> Reply {
    let request = Request::new(7, Some("en".into()), Input::Text(text.into()));
    assistant.clone().oneshot(request).await.unwrap()
}

#[tokio::test]
async fn drafts_come_from_the_model() {
    let (model, journal) = model("1. one\n2. two\n3. three");
    let assistant = Assistant::new(AssistantConfig::default(), Some(model));
    let reply = send(&assistant, "/reply hey you").await;
    assert_eq!(reply.drafts().collect::<Vec<_>>(), ["one", "two", "three"]);
    assert_eq!(reply.parts[0], Part::Title("3 replies".into()));
    assert_eq!(Kind::Reply.title(Ui::En, 1), "1 reply");
    assert_eq!(Kind::Reply.title(Ui::Ru, 3), "3 ответа");
    assert_eq!(Kind::Ppv.title(Ui::En, 2), "2 PPV pitches");
    let request = &journal.lock().unwrap()[0];
    assert_eq!(request.messages.last().unwrap(), &crate::ChatMessage::new(Role::User, "hey you"));
}

#[tokio::test]
async fn a_failing_model_gives_offline_drafts_with_a_note() {
    let (model, _) = model("FAIL");
    let assistant = Assistant::new(AssistantConfig::default(), Some(model));
    let reply = send(&assistant, "/caption beach set").await;
    assert_eq!(reply.drafts().count(), 3);
    assert!(reply.parts.iter().any(|part| matches!(part, Part::Note(note) if note.contains("offline"))));
}

#[tokio::test]
async fn without_a_model_drafts_are_offline_and_say_nothing_about_failure() {
    let assistant = Assistant::new(AssistantConfig::default(), None);
    let reply = send(&assistant, "/flirt").await;
    assert_eq!(reply.drafts().count(), 3);
    assert!(!reply.parts.iter().any(|part| matches!(part, Part::Note(_))));
}

#[tokio::test]
async fn history_reaches_the_model_bounded() {
    let (model, journal) = model("sure");
    let mut config = AssistantConfig::default();
    config.history.max_messages = 6;
    let assistant = Assistant::new(config, Some(model));
    for i in 0..20 {
        send(&assistant, &format!("message {i}")).await;
    }
    for request in journal.lock().unwrap().iter() {
        let turns = request.messages.iter().filter(|m| m.role != Role::System).count();
        assert!(turns <= 6, "{turns} turns");
    }
    let last = journal.lock().unwrap().last().unwrap().clone();
    assert_eq!(last.messages.last().unwrap().content, "message 19");
    assert_eq!(assistant.session(7).await.history.len(), 6);
}

#[tokio::test]
async fn persona_tone_and_lang_shape_the_next_prompt() {
    let (model, journal) = model("1. a");
    let assistant = Assistant::new(AssistantConfig::default(), Some(model));
    assert!(send(&assistant, "/persona name: Luna; voice: dreamy").await.to_plain().contains("Persona saved: Luna"));
    send(&assistant, "/tone classy").await;
    send(&assistant, "/lang ru").await;
    send(&assistant, "/mass new set").await;
    let system = journal.lock().unwrap()[0].messages[0].content.clone();
    assert!(system.contains("\"name\":\"Luna\""), "{system}");
    assert!(system.contains("Tone: classy"));
    assert!(system.contains("\"ru\""));
}

#[tokio::test]
async fn bad_settings_are_refused_and_change_nothing() {
    let assistant = Assistant::new(AssistantConfig::default(), None);
    assert!(send(&assistant, "/tone spicy").await.to_plain().contains("Choose one of"));
    assert!(send(&assistant, "/persona emoji: sometimes").await.to_plain().contains("Nothing changed"));
    assert_eq!(assistant.session(7).await.tone, Tone::Playful);
    assert_eq!(assistant.session(7).await.persona, Persona::default());
}

#[tokio::test]
async fn the_more_button_repeats_the_last_draft_request() {
    let (model, journal) = model("1. a\n2. b\n3. c");
    let assistant = Assistant::new(AssistantConfig::default(), Some(model));
    send(&assistant, "/ppv shower video $15").await;
    let request = Request::new(7, None, Input::Button(MORE.into()));
    let reply = assistant.clone().oneshot(request).await.unwrap();
    assert_eq!(reply.drafts().count(), 3);
    let journal = journal.lock().unwrap();
    assert_eq!(journal.len(), 2);
    assert_eq!(journal[1].messages.last().unwrap().content, "shower video $15");
}

#[tokio::test]
async fn commands_answer_as_the_spec_says() {
    let assistant = Assistant::new(AssistantConfig::default(), None);
    assert!(send(&assistant, "/start").await.to_plain().contains("Persona:"));
    let help = send(&assistant, "/help").await.to_plain();
    for entry in MENU.iter().filter(|entry| entry.open) {
        assert!(help.contains(&entry.example(Ui::En)), "{}", entry.name);
    }
    assert!(help.contains("/ban"));
    assert!(send(&assistant, "/wat").await.to_plain().contains("/help"));
    assert!(send(&assistant, "/reply").await.to_plain().contains("for example"));
    let request = Request::new(7, None, Input::NonText);
    assert_eq!(
        assistant.clone().oneshot(request).await.unwrap().to_plain(),
        "I work with text — send me the fan's message.\n"
    );
}

#[tokio::test]
async fn a_fallback_model_says_so_in_one_line() {
    let (model, _) = model("1. backup one\n2. backup two\n3. backup three");
    let assistant = Assistant::new(AssistantConfig::default(), Some(model));
    let reply = send(&assistant, "/reply hi").await;
    assert_eq!(reply.drafts().count(), 3);
    let notes: Vec<_> = reply.parts.iter().filter(|part| matches!(part, Part::Note(_))).collect();
    assert_eq!(notes.len(), 1);
}

#[tokio::test]
async fn a_throttled_user_hears_once_then_nothing_and_a_busy_muse_drafts_offline() {
    let refusals = Arc::new(Mutex::new(vec![
        ModelRefusal::Busy,
        ModelRefusal::UserLimited { wait: std::time::Duration::from_millis(5200), notify: false },
        ModelRefusal::UserLimited { wait: std::time::Duration::from_millis(5200), notify: true },
    ]));
    let service = service_fn(move |_: ModelRequest| {
        let refusal = refusals.lock().unwrap().pop().unwrap();
        async move { Err::<ModelReply, BoxError>(Box::new(refusal)) }
    });
    let assistant = Assistant::new(AssistantConfig::default(), Some(ModelService::new(service)));
    assert_eq!(
        send(&assistant, "/reply a").await.to_plain(),
        "You're sending messages faster than I can write. Try again in 6 s.\n"
    );
    assert!(send(&assistant, "/reply b").await.is_empty());
    let busy = send(&assistant, "/reply c").await;
    assert_eq!(busy.drafts().count(), 3);
    assert!(busy.to_plain().contains("quota"));
}

#[tokio::test]
async fn the_system_message_carries_a_canary_and_the_current_model_is_switchable() {
    let (model, journal) = model("1. a");
    let assistant = Assistant::new(AssistantConfig::default(), Some(model));
    assistant.set_model_name("other-model");
    send(&assistant, "/flirt").await;
    let request = journal.lock().unwrap()[0].clone();
    assert_eq!(request.model, "other-model");
    assert_eq!(request.kind, Kind::Flirt);
    assert!(request.messages[0].content.contains(crate::prompt::CANARY_PREFIX));
}

#[tokio::test]
async fn export_sends_everything_stored_and_forget_deletes_it_after_confirmation() {
    let assistant = Assistant::new(AssistantConfig::default(), None);
    send(&assistant, "/persona name: Kim").await;
    let export = send(&assistant, "/export").await;
    let Some(Part::File { name, content }) = export.parts.iter().find(|p| matches!(p, Part::File { .. })) else {
        panic!("no file: {export:?}");
    };
    assert_eq!(name, "muse-export.json");
    let json: serde_json::Value = serde_json::from_slice(content).unwrap();
    assert_eq!(json["user_id"], 7);
    assert_eq!(json["session"]["persona"]["name"], "Kim");
    let ask = send(&assistant, "/forget").await;
    assert_eq!(ask.buttons[0].len(), 2);
    assert_eq!(assistant.session(7).await.persona.name, "Kim", "nothing is deleted before the confirmation");
    let press = |data: &str| Request::new(7, None, Input::Button(data.into()));
    assert!(assistant.clone().oneshot(press(FORGET_NO)).await.unwrap().to_plain().contains("Nothing was deleted"));
    assert!(assistant.clone().oneshot(press(FORGET_YES)).await.unwrap().to_plain().contains("deleted"));
    assert_eq!(assistant.session(7).await, Session::default());
    assert_eq!(assistant.session_count(), Some(0));
}

#[tokio::test]
async fn a_session_that_cannot_be_loaded_is_never_saved_over() {
    struct Broken;
    impl Sessions for Broken {
        fn load(&self, _: UserId) -> futures::future::BoxFuture<'_, Result<Option<Session>, BoxError>> {
            Box::pin(async { Err::<Option<Session>, BoxError>("disk on fire".into()) })
        }
        fn save(&self, _: UserId, _: Session) -> futures::future::BoxFuture<'_, Result<(), BoxError>> {
            panic!("must not save over data it could not read")
        }
        fn delete(&self, _: UserId) -> futures::future::BoxFuture<'_, Result<(), BoxError>> {
            Box::pin(async { Ok(()) })
        }
        fn count(&self) -> Option<usize> {
            None
        }
        fn load_fan(&self, _: UserId, _: &str) -> futures::future::BoxFuture<'_, Result<Option<FanCard>, BoxError>> {
            Box::pin(async { Err::<Option<FanCard>, BoxError>("disk on fire".into()) })
        }
        fn save_fan(&self, _: UserId, _: FanCard) -> futures::future::BoxFuture<'_, Result<(), BoxError>> {
            panic!("must not save a card it could not read")
        }
        fn delete_fan(&self, _: UserId, _: &str) -> futures::future::BoxFuture<'_, Result<(), BoxError>> {
            Box::pin(async { Ok(()) })
        }
    }
    let assistant = Assistant::with_sessions(AssistantConfig::default(), None, Arc::new(Broken));
    let reply = send(&assistant, "/persona name: Kim").await;
    assert!(reply.to_plain().contains("Kim"), "the user still gets an answer");
}

#[tokio::test]
async fn a_fan_card_reaches_the_prompt_as_fenced_data_and_keeps_the_exchanges() {
    let (model, journal) = model("1. hey you, back from the trail?\n2. missed you\n3. what's new, hiker");
    let assistant = Assistant::new(AssistantConfig::default(), Some(model));
    assert!(
        send(&assistant, "/fan alex loves hiking, bought 3 PPVs").await.to_plain().contains("Noted on alex's card")
    );
    assert_eq!(send(&assistant, "/reply @alex hey what's up").await.drafts().count(), 3);
    assert_eq!(send(&assistant, "/reply @Alex you around?").await.drafts().count(), 3);
    let requests = journal.lock().unwrap().clone();
    let system = |i: usize| requests[i].messages[0].content.clone();
    let user = |i: usize| requests[i].messages.last().unwrap().content.clone();
    assert_eq!(user(0), "hey what's up", "the fan's text travels alone, without the name");
    assert!(system(0).contains("loves hiking, bought 3 PPVs") && system(0).contains("<<<CARD-"), "{}", system(0));
    assert!(system(1).contains("\"fan\":\"hey what's up\""), "the second request carries the first exchange");
    let card = send(&assistant, "/fan alex").await.to_plain();
    assert!(card.contains("loves hiking") && card.contains("2 exchanges remembered"), "{card}");
    assert!(send(&assistant, "/fans").await.to_plain().contains("alex · loves hiking"));
    let export = send(&assistant, "/export").await;
    let Some(Part::File { content, .. }) = export.parts.iter().find(|p| matches!(p, Part::File { .. })) else {
        panic!("an export file")
    };
    assert!(String::from_utf8_lossy(content).contains("loves hiking"));
    assert!(send(&assistant, "/fan alex forget").await.to_plain().contains("Deleted alex's card"));
    assert!(send(&assistant, "/fan alex").await.to_plain().contains("no card for alex"));
    assert!(assistant.session(7).await.fans.is_empty());
}

#[tokio::test]
async fn voice_examples_are_kept_bounded_and_shown_to_the_model() {
    let (model, journal) = model("1. a\n2. b\n3. c");
    let assistant = Assistant::new(AssistantConfig::default(), Some(model));
    assert!(send(&assistant, "/voice add omg stoppp 🙈🙈").await.to_plain().contains("1 of 20"));
    send(&assistant, "/reply hi").await;
    assert!(journal.lock().unwrap()[0].messages[0].content.contains("omg stoppp 🙈🙈"));
    for i in 2..=20 {
        send(&assistant, &format!("/voice add example {i}")).await;
    }
    assert!(send(&assistant, "/voice add one too many").await.to_plain().contains("the most Muse keeps"));
    let long = format!("/voice add {}", "x".repeat(501));
    assert!(send(&assistant, &long).await.to_plain().contains("501 characters"));
    assert!(send(&assistant, "/voice").await.to_plain().contains("1. omg stoppp 🙈🙈"));
    assert!(send(&assistant, "/voice remove 1").await.to_plain().contains("Removed example 1"));
    assert!(send(&assistant, "/voice remove 40").await.to_plain().contains("no example 40"));
    send(&assistant, "/voice clear").await;
    assert!(assistant.session(7).await.voice.is_empty());
}

#[tokio::test]
async fn a_model_that_repeats_itself_is_asked_once_more_and_the_user_never_sees_a_repeat() {
    let (model, journal) = model(
        "1. just got home and you're the first one I thought of\n2. depends what you had in mind tonight babe\n3. trouble as usual, want to find out more",
    );
    let assistant = Assistant::new(AssistantConfig::default(), Some(model));
    let first = send(&assistant, "/reply hey").await.drafts().map(str::to_owned).collect::<Vec<_>>();
    let second = send(&assistant, "/reply hey again").await.drafts().map(str::to_owned).collect::<Vec<_>>();
    assert_eq!(journal.lock().unwrap().len(), 3, "one regeneration");
    for draft in &second {
        assert!(!crate::fans::repeats(draft, first.iter()), "{draft} repeats {first:?}");
    }
    assert_eq!(assistant.repeats_caught(), 1);
}

/// Offline, a draft that repeats the last reply is swapped for a spare
/// template, never for one the new reply already shows.
#[tokio::test]
async fn offline_replies_never_show_one_draft_twice() {
    let assistant = Assistant::new(AssistantConfig::default(), None);
    for turn in 0..60 {
        let reply = send(&assistant, &format!("/reply hey {turn}")).await;
        let drafts: Vec<&str> = reply.drafts().collect();
        let mut distinct = drafts.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), drafts.len(), "turn {turn}: {drafts:?}");
    }
}

#[tokio::test]
async fn fan_names_and_empty_messages_get_clear_answers() {
    let assistant = Assistant::new(AssistantConfig::default(), None);
    assert!(send(&assistant, "/reply @alex").await.to_plain().contains("Paste his message"));
    assert!(send(&assistant, "/reply @a/b hi").await.to_plain().contains("A fan's name"));
    assert!(send(&assistant, "/fan alex tier gold").await.to_plain().contains("new, regular or whale"));
    assert!(send(&assistant, "/fan bob tier whale").await.to_plain().contains("no card for bob"));
    assert!(send(&assistant, "/fan").await.to_plain().contains("Fan cards remember"));
    assert!(send(&assistant, "/fans").await.to_plain().contains("No fan cards yet"));
}

#[tokio::test]
async fn a_ppv_for_a_fan_with_a_tier_carries_her_price_range_and_none_is_invented() {
    let (model, journal) = model("1. a\n2. b\n3. c");
    let assistant = Assistant::new(AssistantConfig::default(), Some(model));
    assert!(send(&assistant, "/fan pricing").await.to_plain().contains("No price ranges yet"));
    assert!(send(&assistant, "/fan pricing new $5-10; whale $40+").await.to_plain().contains("whale: $40+"));
    send(&assistant, "/fan alex bought the whole vault").await;
    assert!(send(&assistant, "/fan alex tier whale").await.to_plain().contains("alex is now a whale fan"));
    send(&assistant, "/fan bob just subscribed").await;
    send(&assistant, "/fan bob tier regular").await;
    send(&assistant, "/ppv @alex 5-minute shower video").await;
    send(&assistant, "/ppv @bob 5-minute shower video").await;
    send(&assistant, "/reply @alex hey").await;
    let systems: Vec<String> = journal.lock().unwrap().iter().map(|r| r.messages[0].content.clone()).collect();
    assert!(systems[0].contains("{\"price_range\":\"$40+\"}"), "{}", systems[0]);
    assert!(!systems[1].contains("price_range"), "no range set for regulars: none invented");
    assert!(!systems[2].contains("price_range"), "only PPV pitches carry it");
}

#[tokio::test]
async fn drafts_carry_copy_and_refine_buttons_and_a_refine_rewrites_the_last_drafts() {
    let (model, journal) = model("1. one\n2. two\n3. three");
    let assistant = Assistant::new(AssistantConfig::default(), Some(model));
    let reply = send(&assistant, "/reply hey you").await;
    let copies: Vec<&Press> = reply.buttons[0].iter().map(|b| &b.press).collect();
    assert_eq!(copies, [&Press::Copy("one".into()), &Press::Copy("two".into()), &Press::Copy("three".into())]);
    let data: Vec<&str> = reply.buttons[1..].iter().flatten().filter_map(Button::data).collect();
    assert_eq!(data, ["r:shorter:1", "r:bolder:1", "r:softer:1", "r:emoji:1", "r:tip:1", "r:lang:1", MORE]);
    let press = |data: &str| Request::new(7, Some("en".into()), Input::Button(data.into()));
    let refined = assistant.clone().oneshot(press("r:shorter:1")).await.unwrap();
    assert_eq!(refined.drafts().count(), 3);
    assert!(refined.to_plain().contains("Rewritten: ✂️ shorter."), "{}", refined.to_plain());
    let request = journal.lock().unwrap()[1].clone();
    assert!(request.messages[0].content.contains("make them shorter"));
    assert!(request.messages[0].content.contains("PREVIOUS_DRAFTS: [\"one\",\"two\",\"three\"]"));
    assert_eq!(request.messages.last().unwrap().content, "hey you", "the same request");
    for stale_or_forged in ["r:shorter:1", "r:shorter:99", "r:longer:2", "r:shorter", "junk"] {
        let reply = assistant.clone().oneshot(press(stale_or_forged)).await.unwrap().to_plain();
        assert!(reply.contains("That request has expired"), "{stale_or_forged}: {reply}");
    }
    assert_eq!(journal.lock().unwrap().len(), 2, "no model call for an expired press");
    let long = "x".repeat(300);
    let (long_model, _) = self::model(Box::leak(format!("1. {long}\n2. short\n3. also short").into_boxed_str()));
    let assistant = Assistant::new(AssistantConfig::default(), Some(long_model));
    let reply = send(&assistant, "/reply hi").await;
    assert_eq!(reply.buttons[0].len(), 2, "a draft over 256 characters has no copy button");
}
