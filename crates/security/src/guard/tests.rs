use super::*;

fn guard() -> Guard {
    Guard::builtin()
}

fn categories(text: &str) -> Vec<String> {
    let mut found: Vec<String> = guard().scan(text).into_iter().map(|f| f.category).collect();
    found.dedup();
    found
}

fn terms(text: &str) -> Vec<String> {
    guard().scan(text).into_iter().map(|f| f.term).collect()
}

#[test]
fn ordinary_words_that_contain_a_flagged_one_are_clean() {
    for text in [
        "something special for you",
        "my therapist says I deserve this",
        "your assistant is cute",
        "a class act",
        "greetings from Scunthorpe",
        "I'm sure you'll love it",
        "kidding! I'd never",
        "update coming soon",
        "check my bio",
        "classic black lace",
    ] {
        assert_eq!(guard().scan(text), vec![], "{text}");
    }
}

#[test]
fn bypass_spellings_are_caught() {
    assert!(terms("let's m.e.e.t tonight").contains(&"meet".to_owned()));
    assert!(terms("wanna dr1nk with me?").contains(&"drink".to_owned()));
    assert!(terms("come have a drinnnk").contains(&"drink".to_owned()));
    assert!(terms("MEEEEET me").contains(&"meet".to_owned()));
    assert!(terms("d r i n k").contains(&"drink".to_owned()));
    assert!(terms("pay with c@shapp").contains(&"cashapp".to_owned()));
    assert!(terms("mееt me",).contains(&"meet".to_owned()), "Cyrillic е");
    assert!(categories("I'm a T.E.E.N").contains(&"minors".to_owned()));
}

#[test]
fn phrases_and_categories() {
    let found = categories("let's meet irl");
    assert!(found.contains(&"meeting".to_owned()));
    assert!(found.iter().all(|c| c == "meeting" || c == "flagged_words"), "{found:?}");
    assert!(categories("I'm a barely legal schoolgirl").contains(&"minors".to_owned()));
    assert!(categories("pay me on PayPal or Venmo").contains(&"off_platform".to_owned()));
    assert!(categories("come over to my place").contains(&"meeting".to_owned()));
    assert!(categories("find me on fansly").contains(&"competitors".to_owned()));
    assert!(categories("давай встретимся вживую").contains(&"meeting".to_owned()));
    assert!(categories("я школьница").contains(&"minors".to_owned()));
    assert!(categories("напиши мне в телеграме").contains(&"off_platform".to_owned()));
}

#[test]
fn detectors_find_contacts_and_ages() {
    assert!(terms("reach me at +1 (555) 123-4567").contains(&"phone number".to_owned()));
    assert!(terms("mia.rose@gmail.com").contains(&"email address".to_owned()));
    assert!(terms("mia dot rose at gmail dot com").contains(&"email address".to_owned()));
    assert!(terms("see https://example.com/x").contains(&"link".to_owned()));
    assert!(terms("t.me/miarose").contains(&"link".to_owned()));
    assert!(terms("follow @mia_rose_vip").contains(&"@handle".to_owned()));
    assert!(terms("send to $MiaRose").contains(&"$cashtag".to_owned()));
    assert!(terms("I'm 16 and bored").contains(&"age under 18".to_owned()));
    assert!(terms("she is 15 years old").contains(&"age under 18".to_owned()));
    assert!(terms("16yo").contains(&"age under 18".to_owned()));
    assert!(terms("мне 15 лет").contains(&"age under 18".to_owned()));
    assert!(terms("sixteen and sweet").contains(&"sixteen".to_owned()));
}

#[test]
fn contacts_are_found_next_to_emoji_and_letters_past_ascii() {
    assert!(terms("😘 mia.rose@gmail.com 😘").contains(&"email address".to_owned()));
    assert!(terms("пиши mia.rose@gmail.comтам").contains(&"email address".to_owned()));
    assert!(terms("все фото тутsite.com 🔥").contains(&"link".to_owned()));
    assert!(terms("ссылка: t.me/miarose💋").contains(&"link".to_owned()));
    assert!(terms("мне 15 лет 🙈").contains(&"age under 18".to_owned()));
    assert!(terms("I'm 16 😇").contains(&"age under 18".to_owned()));
    assert_eq!(guard().scan("just got home 😏 what are you up to?"), vec![]);
}

#[test]
fn numbers_that_are_not_ages_or_phones_are_clean() {
    for text in [
        "I'm 5'4 and curvy",
        "I'm 5 minutes away from posting",
        "unlock for $15",
        "only 9.99 today",
        "I'm 23",
        "my 2024 favorites",
        "top 10 sets",
    ] {
        assert_eq!(guard().scan(text), vec![], "{text}");
    }
}

#[test]
fn findings_say_where() {
    let text = "hey, let's m.e.e.t up";
    let found = guard().scan(text);
    let meet = found.iter().find(|f| f.term == "meet").unwrap();
    assert_eq!(meet.matched, "m.e.e.t");
    assert_eq!(&text[meet.span.clone()], "m.e.e.t");
    assert_eq!(meet.tier, Tier::Flag);
}

#[test]
fn flagged_innocent_words_are_flag_tier() {
    let found = guard().scan("young and golden");
    assert!(found.iter().all(|f| f.tier == Tier::Flag && f.category == "flagged_words"), "{found:?}");
    assert!(guard().scan_blocking("young and golden").is_empty());
}

#[test]
fn every_offline_template_passes_the_guard() {
    use muse_domain::offline::{Brief, OfflineWriter};
    use muse_domain::{Kind, Persona, Tone, Ui};
    let mut rng = rand::rng();
    let persona = Persona { name: "Mia".into(), ..Persona::default() };
    for (kind, tone, lang) in
        Kind::DRAFTING.iter().flat_map(|k| Tone::ALL.iter().flat_map(move |t| Ui::ALL.map(|l| (*k, *t, l))))
    {
        let brief = Brief { kind, tone, persona: &persona, lang, price: Some("$15") };
        for draft in OfflineWriter.drafts(&brief, 100, &mut rng) {
            assert_eq!(guard().scan(&draft), vec![], "{kind} {tone}: {draft}");
        }
    }
    for (configured, ui) in [true, false].into_iter().flat_map(|c| Ui::ALL.map(|ui| (c, ui))) {
        assert_eq!(guard().scan_blocking(&OfflineWriter.chat(ui, configured, &Persona::default())), vec![]);
    }
}

proptest::proptest! {
    /// The cheap check before the age patterns never skips a text they match.
    #[test]
    fn the_age_precheck_never_hides_an_age(
        pieces in proptest::collection::vec(proptest::sample::select(vec![
            "1", "16", "9", "115", "١٦", " ", "  ", "\n", ". ", "yo", "Y/O", "yrs", "years old", "лет", "года", "Годиков",
            "age", "aged", "I'm", "i m", "I am", "she's", "HE'S", "turning", "turned", "only", "мне", "Ей", "ему",
            "😏", "hey", "you", "x", "'", "5'4", "ſhe's",
        ]), 0..12),
    ) {
        let text = pieces.concat();
        if !may_state_an_age(&text) {
            proptest::prop_assert!(!AGE_AFTER.is_match(&text) && !AGE_BEFORE.is_match(&text), "{text:?}");
        }
    }
}
