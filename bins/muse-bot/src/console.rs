//! The terminal adapter: the same service stack on stdin and stdout.

use std::io::IsTerminal;

use muse_domain::{FORGET_NO, FORGET_YES, Input, Reply, Request, Ui, UserId};
use muse_telegram::MuseService;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// The terminal has one user, the operator: an admin.
pub(crate) const CONSOLE_USER: UserId = 0;

/// The terminal's language (`LC_ALL`, `LC_MESSAGES`, `LANG`: `ru_RU.UTF-8`
/// is `ru`), as Telegram's `language_code` would give it; none for `C`/`POSIX`.
pub(crate) fn locale() -> Option<String> {
    let value =
        ["LC_ALL", "LC_MESSAGES", "LANG"].iter().find_map(|key| std::env::var(key).ok().filter(|v| !v.is_empty()))?;
    let primary = value.split(['_', '.', '@', '-']).next().unwrap_or_default().to_lowercase();
    (primary.len() >= 2 && primary.chars().all(|c| c.is_ascii_alphabetic())).then_some(primary)
}

/// Answers each line of `input` on `output` until end of input or shutdown,
/// in the terminal's language (`lang`). `banner` is printed first: what
/// Muse is drafting with.
pub(crate) async fn run(
    input: impl AsyncBufRead + Unpin,
    mut output: impl AsyncWrite + Unpin,
    service: MuseService,
    banner: impl Fn(Ui) -> String,
    lang: Option<String>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let prompt = std::io::stdin().is_terminal();
    let ui = Ui::pick([lang.as_deref()]);
    let welcome = ui.say_with("console-welcome", &[("banner", banner(ui).into())]);
    output.write_all(format!("{welcome}\n").as_bytes()).await?;
    let mut lines = input.lines();
    let mut confirming = false;
    loop {
        if prompt {
            output.write_all(b"> ").await?;
        }
        output.flush().await?;
        let line = tokio::select! {
            line = lines.next_line() => line?,
            () = shutdown.cancelled() => None,
        };
        let Some(line) = line else { break };
        if line.trim().is_empty() {
            continue;
        }
        // A confirmation a button would give in Telegram is the next line
        // here: `yes` deletes, anything else keeps.
        let input = match std::mem::take(&mut confirming) {
            true if ["yes", "да"].iter().any(|yes| line.trim().to_lowercase() == *yes) => {
                Input::Button(FORGET_YES.to_owned())
            }
            true => Input::Button(FORGET_NO.to_owned()),
            false => Input::Text(line),
        };
        let Ok(reply) = service.clone().oneshot(Request::new(CONSOLE_USER, lang.clone(), input)).await;
        if reply.is_empty() {
            continue; // rate-limited after the notice: say nothing
        }
        output.write_all(reply.to_plain().as_bytes()).await?;
        if asks_to_confirm(&reply) {
            confirming = true;
            output.write_all(format!("{}\n", ui.say("console-confirm")).as_bytes()).await?;
        }
        output.write_all(b"\n").await?;
    }
    output.write_all(format!("{}\n", ui.say("console-bye")).as_bytes()).await?;
    output.flush().await
}

/// Whether `reply` asks for the `/forget` confirmation.
fn asks_to_confirm(reply: &Reply) -> bool {
    reply.buttons.iter().flatten().any(|button| button.data() == Some(FORGET_YES))
}
