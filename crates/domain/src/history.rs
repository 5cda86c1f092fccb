//! Conversation history with hard bounds on count and size.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::model::{ChatMessage, Role};

/// The bounds of one user's history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryLimits {
    /// Messages kept, oldest dropped first (the old bot's 50).
    pub max_messages: usize,
    /// Characters kept per message; longer messages are cut at a character
    /// boundary (the old bot's 1000).
    pub max_chars: usize,
}

impl Default for HistoryLimits {
    /// `MAX_HISTORY_SIZE` and `MAX_MESSAGE_LENGTH` at their defaults.
    fn default() -> Self {
        crate::AssistantConfig::default().history
    }
}

/// A bounded conversation: user and assistant turns, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    turns: VecDeque<ChatMessage>,
}

impl History {
    /// Appends a turn, cutting it to `limits.max_chars` characters and
    /// dropping the oldest turns beyond `limits.max_messages`.
    pub fn push(&mut self, role: Role, text: &str, limits: HistoryLimits) {
        let content = match text.char_indices().nth(limits.max_chars) {
            Some((cut, _)) => text[..cut].to_owned(),
            None => text.to_owned(),
        };
        self.turns.push_back(ChatMessage { role, content });
        self.truncate(limits.max_messages);
    }

    /// The most recent `count` turns, oldest first.
    pub fn recent(&self, count: usize) -> impl Iterator<Item = &ChatMessage> {
        self.turns.iter().skip(self.turns.len().saturating_sub(count))
    }

    /// How many turns are kept.
    pub fn len(&self) -> usize {
        self.turns.len()
    }

    /// Whether no turn is kept.
    pub fn is_empty(&self) -> bool {
        self.turns.is_empty()
    }

    /// Forgets every turn.
    pub fn clear(&mut self) {
        self.turns.clear();
    }

    /// Drops the oldest turns until at most `max_messages` remain. Used when
    /// the limit shrinks, and by [`History::push`].
    pub fn truncate(&mut self, max_messages: usize) {
        while self.turns.len() > max_messages {
            self.turns.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keeps_the_newest_turns() {
        let limits = HistoryLimits { max_messages: 3, max_chars: 1000 };
        let mut history = History::default();
        for i in 0..5 {
            history.push(Role::User, &format!("m{i}"), limits);
        }
        let kept: Vec<_> = history.recent(10).map(|m| m.content.as_str()).collect();
        assert_eq!(kept, ["m2", "m3", "m4"]);
        let last: Vec<_> = history.recent(2).map(|m| m.content.as_str()).collect();
        assert_eq!(last, ["m3", "m4"]);
    }

    proptest! {
        #[test]
        fn never_exceeds_its_limits(
            texts in proptest::collection::vec(".{0,40}", 0..80),
            max_messages in 0usize..20,
            max_chars in 0usize..30,
        ) {
            let limits = HistoryLimits { max_messages, max_chars };
            let mut history = History::default();
            for text in &texts {
                history.push(Role::User, text, limits);
                prop_assert!(history.len() <= max_messages);
            }
            for turn in history.recent(usize::MAX) {
                prop_assert!(turn.content.chars().count() <= max_chars);
            }
        }
    }
}
