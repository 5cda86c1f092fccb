//! Muse's Telegram adapter: updates in (teloxide long polling, or a webhook;
//! with a [`Cluster`], each update claimed once among several instances),
//! HTML replies out.
//!
//! It turns each update into a domain [`Request`](muse_domain::Request),
//! calls the service stack, and renders the [`Reply`](muse_domain::Reply):
//! every piece of user and model text escaped, messages over 4096 characters
//! split at line breaks, drafts in tap-to-copy `<code>` with copy buttons, a
//! "typing…" action or a live draft of the text so far while drafting, and teloxide's `Throttle` keeping within Telegram's
//! send limits. Only this crate and the binary know teloxide.
//!
//! # Layout
//!
//! - [`adapter`]: [`run`], the dispatcher, handlers for messages and button presses.
//! - `lanes`: one chat's updates in order, chats in parallel, a bound on the updates in memory.
//! - [`draft`]: live drafting with `sendMessageDraft`, a typed request teloxide 0.17 lacks.
//! - [`webhook`]: webhook mode, claiming each update before Telegram hears it arrived.
//! - [`render`]: [`Reply`](muse_domain::Reply) to HTML messages.
//!
//! # Example
//!
//! ```
//! use muse_domain::{Part, Reply};
//! use muse_telegram::render::{MAX_MESSAGE_LEN, render};
//!
//! let reply = Reply { parts: vec![Part::Draft { number: 1, text: "you & me <3".into() }], buttons: vec![] };
//! assert_eq!(render(&reply, MAX_MESSAGE_LEN), ["<b>1.</b> <code>you &amp; me &lt;3</code>"]);
//! ```

pub mod adapter;
pub mod draft;
mod lanes;
pub mod render;
pub mod webhook;

pub use adapter::{
    Cluster, MuseService, SETTINGS, TelegramConfig, TelegramError, TelegramStatus, WaitEstimate, probe, run,
};
