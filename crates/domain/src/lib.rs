//! Muse's domain: what a creator asks for and how Muse answers, with no I/O.
//!
//! Muse drafts messages for creators on subscription platforms and their chat
//! teams: replies to fans, flirty openers, captions, pay-per-view pitches and
//! mass messages. This crate holds the pieces that know what those are: the
//! message kinds and command parser, the persona, tone and language, prompt
//! building (user text only ever in a user message), bounded history, the
//! draft parser, the offline writer and the [`Assistant`] service that ties
//! them together. Adapters (Telegram, terminal) turn their input into a
//! [`Request`] and render the [`Reply`].
//!
//! # Layout
//!
//! - [`request`]: [`Request`] and [`Input`], what reaches Muse; [`reply`]: [`Reply`], what it answers.
//! - [`command`]: `/reply hi` into a [`Command`], once per update; the menu.
//! - [`persona`]: [`Persona`], [`Tone`], [`Lang`].
//! - [`history`]: [`History`] bounded by [`HistoryLimits`].
//! - [`prompt`]: the messages sent to the model.
//! - [`preview`]: [`Preview`], live drafting: the text a streaming model call has written so far.
//! - [`refine`]: the refine row under drafts (shorter, bolder, ...) and its button data.
//! - [`drafts`]: one completion into numbered drafts.
//! - [`offline`]: template drafts when there is no model.
//! - [`model`]: [`ModelRequest`] and [`ModelReply`], the contract with the model stack.
//! - [`fans`]: fan cards and the creator's voice examples, their commands and limits.
//! - [`session`]: [`Session`], what is kept per user, and the [`Sessions`] store the assistant is handed.
//! - [`handlers`]: the settings commands (`/start`, `/persona`, `/tone`, `/lang`, `/export`, ...).
//! - [`i18n`]: [`Ui`], the interface languages and the message catalogue (`locales/*.ftl`).
//! - [`text`]: the catalogue's message ids, and the messages with arguments, in one place.
//! - [`settings`]: [`Settings`](settings::Settings), the layered settings each crate reads its own table from.
//! - [`assistant`]: the [`Assistant`] service: drafts and conversation.
//! - [`admin`]: [`AdminLayer`], the admin commands over an [`Operator`].
//!
//! # Example
//!
//! ```
//! use muse_domain::{Assistant, AssistantConfig, Input, Request};
//! use tower::ServiceExt;
//!
//! # tokio_test_block(async {
//! let assistant = Assistant::new(AssistantConfig::default(), None); // offline writer only
//! let request = Request::new(1, None, Input::Text("/flirt".into()));
//! let reply = assistant.oneshot(request).await.unwrap();
//! assert_eq!(reply.drafts().count(), 3);
//! # });
//! # fn tokio_test_block(f: impl std::future::Future<Output = ()>) { futures::executor::block_on(f) }
//! ```

pub mod admin;
pub mod assistant;
pub mod command;
pub mod drafts;
pub mod fans;
pub mod handlers;
pub mod history;
pub mod i18n;
pub mod kind;
pub mod model;
pub mod offline;
pub mod persona;
pub mod preview;
pub mod prompt;
pub mod refine;
pub mod reply;
pub mod request;
pub mod session;
pub mod settings;
pub mod text;
pub mod words;

pub use admin::{AdminLayer, Operator};
pub use assistant::{Assistant, AssistantConfig, MORE};
pub use command::{AdminCommand, Command, MENU, MenuEntry, is_open};
pub use handlers::{FORGET_NO, FORGET_YES};
pub use history::{History, HistoryLimits};
pub use i18n::Ui;
pub use kind::Kind;
pub use model::{ChatMessage, ModelRefusal, ModelReply, ModelRequest, ModelService, Role, Usage};
pub use persona::{EmojiUse, Lang, Persona, Tone};
pub use preview::Preview;
pub use reply::{Button, Part, Press, Reply};
pub use request::{Input, Request, UserId};
pub use session::{Documents, MemorySessions, Session, Sessions, StoredSessions};
