//! Live drafting: Telegram's `sendMessageDraft` (Bot API 9.3), which
//! teloxide 0.17 (Bot API 9.1) lacks, as a small typed request, and the
//! task that streams a reply's partial text into a private chat.
//!
//! A draft is an ephemeral preview: the reply is still sent as a normal
//! message, with its buttons, when it is ready. Drafts are best effort: a
//! frame over the budget is skipped (the next one carries the whole text so
//! far), a refused draft ends the preview for that reply, and a Bot API
//! that does not know the method turns live drafting off until restart.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use muse_domain::Preview;
use serde::Serialize;
use teloxide::prelude::*;
use teloxide::requests::{JsonRequest, Payload};
use teloxide::types::True;
use teloxide::{ApiError, RequestError};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// `sendMessageDraft`: show `text` as the draft `draft_id` in a private chat.
#[derive(Clone, Debug, Serialize)]
pub struct SendMessageDraft {
    /// The private chat.
    pub chat_id: i64,
    /// Frames with the same id animate into each other; never 0.
    pub draft_id: u32,
    /// The text so far, 1-4096 characters.
    pub text: String,
}

impl Payload for SendMessageDraft {
    type Output = True;
    const NAME: &'static str = "SendMessageDraft";
}

/// The longest text a draft may carry, in characters (Telegram counts
/// UTF-16 units up to 4096; this leaves room for any character).
const MAX_DRAFT_CHARS: usize = 2048;

/// Draft frames per second for the whole bot. Final messages go through
/// teloxide's `Throttle` (30 a second); drafts take a smaller share and
/// are dropped, not queued, past it.
const FRAMES_PER_SECOND: u32 = 10;

/// Live drafting for the whole bot: on, its budget, its draft ids.
pub(crate) struct LiveDrafts {
    bot: Bot,
    on: AtomicBool,
    budget: DefaultDirectRateLimiter,
    next_id: AtomicU32,
}

impl LiveDrafts {
    pub(crate) fn new(bot: Bot) -> Arc<LiveDrafts> {
        let per_second = NonZeroU32::new(FRAMES_PER_SECOND).unwrap_or(NonZeroU32::MIN);
        Arc::new(LiveDrafts {
            bot,
            on: AtomicBool::new(true),
            budget: RateLimiter::direct(Quota::per_second(per_second)),
            next_id: AtomicU32::new(1),
        })
    }

    fn draft_id(&self) -> u32 {
        // Ids only need to differ between replies in flight; skip 0 on wrap.
        self.next_id.fetch_add(1, Ordering::Relaxed).max(1)
    }

    /// Starts previewing one reply in `chat`: the [`Preview`] to put on the
    /// request, and the [`Drafting`] to [finish](Drafting::finish) before
    /// the final message is sent.
    pub(crate) fn start(self: &Arc<LiveDrafts>, chat: ChatId, placeholder: String) -> (Preview, Drafting) {
        let (texts, frames) = watch::channel(None::<String>);
        let preview = Preview::new(move |text| {
            texts.send_replace(Some(text.to_owned()));
        });
        let done = CancellationToken::new();
        let task = tokio::spawn(self.clone().show(chat, frames, placeholder, done.clone()));
        (preview, Drafting { done, task })
    }

    async fn show(
        self: Arc<LiveDrafts>,
        chat: ChatId,
        mut frames: watch::Receiver<Option<String>>,
        placeholder: String,
        done: CancellationToken,
    ) {
        let draft_id = self.draft_id();
        loop {
            tokio::select! {
                biased;
                () = done.cancelled() => return,
                changed = frames.changed() => if changed.is_err() { return },
            }
            let Some(text) = frames.borrow_and_update().clone() else { continue };
            if !self.on.load(Ordering::Relaxed) {
                return;
            }
            if self.budget.check().is_err() {
                metrics::counter!("muse_live_drafts_total", "outcome" => "skipped").increment(1);
                continue;
            }
            let text = if text.is_empty() { placeholder.clone() } else { clip(&text) };
            let request = JsonRequest::new(self.bot.clone(), SendMessageDraft { chat_id: chat.0, draft_id, text });
            match request.send().await {
                Ok(_) => metrics::counter!("muse_live_drafts_total", "outcome" => "sent").increment(1),
                Err(err) => {
                    metrics::counter!("muse_live_drafts_total", "outcome" => "refused").increment(1);
                    if unknown_method(&err) {
                        self.on.store(false, Ordering::Relaxed);
                        tracing::warn!(error = %err, "the Bot API has no sendMessageDraft; live drafting is off");
                    } else {
                        tracing::debug!(chat = chat.0, error = %err, "a live draft was refused; the reply follows");
                    }
                    return;
                }
            }
        }
    }
}

/// The text so far, cut to what one draft may carry.
fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_DRAFT_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// A Bot API older than 9.3 answers 404 "Not Found: method not found".
fn unknown_method(err: &RequestError) -> bool {
    matches!(err, RequestError::Api(ApiError::Unknown(description)) if description.contains("method not found"))
}

/// One reply's preview in flight.
pub(crate) struct Drafting {
    done: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

/// How long the final message waits for a draft frame already on its way.
const FRAME_IN_FLIGHT: std::time::Duration = std::time::Duration::from_secs(2);

impl Drafting {
    /// Stops the preview, letting a frame already sent finish first so it
    /// cannot land after the final message.
    pub(crate) async fn finish(self) {
        self.done.cancel();
        let mut task = self.task;
        if tokio::time::timeout(FRAME_IN_FLIGHT, &mut task).await.is_err() {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_clipped_on_a_character_boundary() {
        assert_eq!(clip("short"), "short");
        let long = "я".repeat(MAX_DRAFT_CHARS + 10);
        let clipped = clip(&long);
        assert_eq!(clipped.chars().count(), MAX_DRAFT_CHARS + 1);
        assert!(clipped.ends_with('…'));
    }

    #[test]
    fn the_payload_is_what_the_bot_api_expects() {
        let payload = SendMessageDraft { chat_id: 7, draft_id: 3, text: "hey".into() };
        let json = serde_json::to_value(&payload).unwrap();
        assert_eq!(json, serde_json::json!({ "chat_id": 7, "draft_id": 3, "text": "hey" }));
        assert_eq!(SendMessageDraft::NAME, "SendMessageDraft");
    }
}
