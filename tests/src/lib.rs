//! Helpers for Muse's end-to-end tests: build and start the real `muse-bot`
//! binary as a process against the testkit fakes, and read what it did.
//!
//! # Example
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use muse_testkit::{Call, FakeOpenAi, FakeTelegram};
//! use muse_tests::BotProcess;
//!
//! let telegram = FakeTelegram::spawn().await?;
//! let model = FakeOpenAi::spawn().await?;
//! let bot = BotProcess::telegram(&telegram, Some(&model), &[]).await;
//! telegram.inject_text(1, "/start");
//! # drop(bot); Ok(()) }
//! ```

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use muse_testkit::{Call, FakeOpenAi, FakeTelegram};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

/// The token every test bot uses; tests check it never reaches a log.
pub const TOKEN: &str = "123456:TEST-token-never-logged";
/// The API key every test model uses.
pub const API_KEY: &str = "gsk-test-key-never-logged";
/// How long a test waits for something the bot should do at once.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The `muse-bot` binary, built once per test run so it is never stale.
pub fn muse_bot() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = std::process::Command::new(cargo)
            .args(["build", "--quiet", "-p", "muse-bot", "--bin", "muse-bot"])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building muse-bot failed");
        // This test binary lives in target/<profile>/deps; muse-bot one level up.
        let exe = std::env::current_exe().expect("test binary path");
        let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>");
        profile_dir.join("muse-bot")
    })
}

/// A `muse-bot` command with a clean environment and an empty working
/// directory, so no developer `.env` or variable leaks in.
pub fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = command_of(muse_bot(), dir, args, env);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

/// `binary` (a release build, for the benchmarks) started as [`command`]
/// starts it, with its output going to this process's.
pub fn command_of(binary: &Path, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(binary);
    command
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command
}

/// A running `muse-bot`. Dropping it kills the process.
pub struct BotProcess {
    child: Child,
    output: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
}

impl BotProcess {
    /// Starts `muse-bot` in Telegram mode against the fakes (no model: the
    /// offline writer) and waits until it polls for updates.
    pub async fn telegram(telegram: &FakeTelegram, model: Option<&FakeOpenAi>, env: &[(&str, &str)]) -> BotProcess {
        let process = BotProcess::spawn(telegram, model, env);
        if let Err(err) = telegram.wait_calls(0, "getUpdates", 1, PATIENCE).await {
            panic!("muse-bot did not start polling: {err}\n--- output ---\n{}", process.output());
        }
        process
    }

    /// Starts `muse-bot` as [`BotProcess::telegram`] does, but waits only
    /// until it has reached Telegram: a second instance on one Redis
    /// stands by while another polls.
    pub async fn standby(telegram: &FakeTelegram, model: Option<&FakeOpenAi>, env: &[(&str, &str)]) -> BotProcess {
        let process = BotProcess::spawn(telegram, model, env);
        process.wait_for_line("connected to Telegram").await;
        process
    }

    fn spawn(telegram: &FakeTelegram, model: Option<&FakeOpenAi>, env: &[(&str, &str)]) -> BotProcess {
        let mut vars = vec![
            ("TELEGRAM_BOT_TOKEN".to_owned(), TOKEN.to_owned()),
            ("TELEGRAM_API_URL".to_owned(), telegram.url()),
            ("RUST_LOG".to_owned(), "debug".to_owned()),
            // Parallel tests must not fight over port 8080; health tests set it.
            ("HEALTH_ADDR".to_owned(), String::new()),
        ];
        if let Some(model) = model {
            vars.push(("LLM_BASE_URL".to_owned(), model.base_url()));
            vars.push(("LLM_API_KEY".to_owned(), API_KEY.to_owned()));
        }
        vars.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut child = command(dir.path(), &[], &vars).spawn().expect("muse-bot starts");
        let output = Arc::new(Mutex::new(String::new()));
        drain(child.stdout.take(), output.clone());
        drain(child.stderr.take(), output.clone());
        BotProcess { child, output, _dir: dir }
    }

    /// Waits until the output has a line containing `needle`, and returns it.
    pub async fn wait_for_line(&self, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(line) = self.output().lines().find(|line| line.contains(needle)) {
                return line.to_owned();
            }
            assert!(tokio::time::Instant::now() < deadline, "no line with {needle:?} in:\n{}", self.output());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Everything the process wrote to stdout and stderr so far.
    pub fn output(&self) -> String {
        self.output.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Kills the process with SIGKILL: a crash.
    pub async fn kill(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub async fn stop(mut self) -> ExitStatus {
        if let Some(pid) = self.child.id() {
            let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status().await;
        }
        tokio::time::timeout(PATIENCE, self.child.wait()).await.expect("muse-bot exits after SIGTERM").expect("wait")
    }
}

fn drain(stream: Option<impl AsyncRead + Unpin + Send + 'static>, into: Arc<Mutex<String>>) {
    let Some(stream) = stream else { return };
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let mut output = into.lock().unwrap_or_else(PoisonError::into_inner);
            output.push_str(&line);
            output.push('\n');
        }
    });
}

/// What a finished `muse-bot chat` run printed.
#[derive(Debug)]
pub struct ChatRun {
    /// The exit status.
    pub status: ExitStatus,
    /// Standard output: the conversation.
    pub stdout: String,
    /// Standard error: logs.
    pub stderr: String,
}

/// Runs `muse-bot` with `args`, feeding `input` on stdin, and waits for it.
pub async fn run(args: &[&str], input: &str, env: &[(&str, &str)]) -> ChatRun {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut child = command(dir.path(), args, env).stdin(Stdio::piped()).spawn().expect("muse-bot starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input.as_bytes()).await.expect("write stdin");
    drop(stdin);
    let output =
        tokio::time::timeout(PATIENCE, child.wait_with_output()).await.expect("muse-bot ends").expect("output");
    ChatRun {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Sends `text` as `user` and returns the bot's first message in reply.
pub async fn ask(telegram: &FakeTelegram, user: u64, text: &str) -> Call {
    let mark = telegram.mark();
    telegram.inject_text(user, text);
    let mut sent = telegram.wait_calls(mark, "sendMessage", 1, PATIENCE).await.expect("the bot answers");
    sent.remove(0)
}

/// The text of a `sendMessage` call.
pub fn text(call: &Call) -> &str {
    call.str("text").unwrap_or_default()
}

/// GETs `url`. reqwest 0.13 is built without a TLS provider of its own
/// (ring comes from rustls), so one is installed first.
pub async fn http_get(url: &str) -> reqwest::Result<reqwest::Response> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::get(url).await
}

/// Every file under `dir` whose name starts with `prefix`.
pub fn files_named(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if entry.file_name().to_string_lossy().starts_with(prefix) {
                found.push(path);
            }
        }
    }
    found
}
