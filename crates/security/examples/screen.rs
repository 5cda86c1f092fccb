//! Screens each line of a JSONL file (`{"text": ...}`) and prints its score:
//! `cargo run -p muse-security --example screen -- corpus/attacks.jsonl`.

fn main() -> std::io::Result<()> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "corpus/attacks.jsonl".to_owned());
    for line in std::fs::read_to_string(path)?.lines().filter(|l| !l.trim().is_empty()) {
        let value: serde_json::Value = serde_json::from_str(line).map_err(std::io::Error::other)?;
        let text = value["text"].as_str().unwrap_or_default();
        let label = value["label"].as_str().or(value["kind"].as_str()).unwrap_or_default();
        let screening = muse_security::screen(text);
        let shown: String = text.chars().take(80).collect::<String>().replace('\n', " ");
        println!("{:.2}\t{label}\t{:?}\t{shown}", screening.score, screening.signals);
    }
    Ok(())
}
