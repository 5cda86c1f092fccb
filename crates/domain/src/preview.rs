//! Live drafting: where a streaming model call shows its text so far.
//!
//! An adapter that can show partial text (Telegram's `sendMessageDraft`)
//! puts a [`Preview`] on the [`Request`](crate::Request). The assistant
//! passes it to the model stack, which shows an empty text once the
//! request is past the rate limits (the chat shows a placeholder; a
//! throttled user sees none), the output guard wraps it so only text that
//! passes the compliance check at that point is shown, and the LLM client
//! feeds it the completion as it streams in. The preview is never the reply: the final
//! message is sent as usual.

use std::fmt;
use std::sync::Arc;

/// A sink for the text a model has written so far; see the [module docs](self).
#[derive(Clone)]
pub struct Preview(Arc<dyn Fn(&str) + Send + Sync>);

impl Preview {
    /// A preview that hands each text so far to `show`. An empty text
    /// means "drafting has started": show a placeholder.
    pub fn new(show: impl Fn(&str) + Send + Sync + 'static) -> Preview {
        Preview(Arc::new(show))
    }

    /// Shows `text`, the whole completion so far (not a delta).
    pub fn show(&self, text: &str) {
        (self.0)(text);
    }
}

impl fmt::Debug for Preview {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Preview")
    }
}

/// Two previews are equal when they are the same sink.
impl PartialEq for Preview {
    fn eq(&self, other: &Preview) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Preview {}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    #[test]
    fn a_preview_hands_on_each_text_and_clones_share_the_sink() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let preview = Preview::new(move |text| sink.lock().unwrap().push(text.to_owned()));
        let copy = preview.clone();
        preview.show("");
        copy.show("hey");
        assert_eq!(*seen.lock().unwrap(), ["", "hey"]);
        assert_eq!(preview, copy);
        assert_ne!(preview, Preview::new(|_| {}));
    }
}
