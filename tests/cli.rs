//! The binary as scripts and newcomers use it: `ask --json`, `console` fed on
//! standard input, `migrate`, `check-config` and `run`, each from a fresh
//! directory with no configuration file.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The binary, run in `dir` with no configuration but what the test gives.
/// Its database is the default (`platform-desk.db` in `dir`), or on the
/// PostgreSQL pass a database of the server under test made for that path.
fn bin(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_platform-desk"));
    command
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("DISCORD_TOKEN")
        .env_remove("RUST_LOG")
        .env_remove("PLATFORM_DESK_LOG_FORMAT");
    if common::database::on_postgres() {
        command.env("DATABASE_URL", database_url(dir));
    }
    command
}

/// The database the binary uses when run in `dir` by [`bin`].
fn database_url(dir: &Path) -> String {
    common::database::url(dir, "platform-desk.db")
}

fn ask_json(dir: &tempfile::TempDir, args: &[&str]) -> (serde_json::Value, Output) {
    let output = bin(dir.path()).arg("ask").arg("--json").args(args).output().unwrap();
    assert!(
        output.status.success(),
        "exit {:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    assert_eq!(stdout.lines().count(), 1, "one JSON object on one line: {stdout}");
    (serde_json::from_str(&stdout).unwrap(), output)
}

/// The console in `dir`, fed `input` on standard input; its standard output.
fn console(dir: &tempfile::TempDir, input: &[u8]) -> String {
    let mut child = bin(dir.path())
        .arg("console")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn ask_json_follows_the_contract_from_a_fresh_directory() {
    let dir = tempfile::tempdir().unwrap();
    let (json, _) = ask_json(&dir, &["is patching in scope?"]);
    assert_eq!(json["intent"], "scope");
    assert_eq!(
        json["scope"],
        serde_json::json!({"verdict": "out_of_scope", "topic": "patching"})
    );
    assert_eq!(json["ticket"], serde_json::Value::Null);
    assert_eq!(json["ephemeral"], false);
    assert!(json["embeds"][0]["description"].as_str().unwrap().contains("patching"));
    if !common::database::on_postgres() {
        assert!(
            dir.path().join("platform-desk.db").exists(),
            "the default database is created in the working directory"
        );
    }
}

#[test]
fn ask_prints_keys_in_the_contract_order() {
    let dir = tempfile::tempdir().unwrap();
    let output = bin(dir.path()).args(["ask", "--json", "brb coffee"]).output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout.trim(),
        r#"{"intent":"none","scope":null,"ticket":null,"ephemeral":false,"embeds":[]}"#
    );
}

#[test]
fn ask_answers_hostile_input_with_exit_zero() {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(20_000);
    for text in [
        "",
        "@everyone",
        "/nope",
        "/ticket show id:abc",
        "\u{202E}drow",
        long.as_str(),
        "--json",
    ] {
        let (json, _) = ask_json(&dir, &["--", text]);
        assert!(
            common::embed_limit_problems(&json["embeds"]).is_empty(),
            "{:?}",
            &text[..text.len().min(20)]
        );
    }
}

#[test]
fn ask_takes_role_user_and_channel() {
    let dir = tempfile::tempdir().unwrap();
    let (json, _) = ask_json(
        &dir,
        &[
            "--role",
            "engineer",
            "--user",
            "77",
            "--channel",
            "88",
            "who do I call in Canada?",
        ],
    );
    assert_eq!(json["intent"], "contact");
    assert!(json.to_string().contains("1-866-296-5335"));
}

#[test]
fn ask_without_json_prints_readable_text() {
    let dir = tempfile::tempdir().unwrap();
    let output = bin(dir.path()).args(["ask", "is IAM in scope?"]).output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("In scope: IAM policies"), "{stdout}");
    assert!(!stdout.contains('\x1b'), "no colour when not on a terminal");
}

#[test]
fn ask_fails_when_the_database_cannot_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let output = bin(dir.path())
        .env("DATABASE_URL", "sqlite:///proc/no-such-dir/x.db")
        .args(["ask", "--json", "is IAM in scope?"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot open the database"));
}

#[test]
fn a_bad_configuration_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bot-config.toml"),
        "[databse]\nurl = \"sqlite://x.db\"\n",
    )
    .unwrap();
    let output = bin(dir.path()).args(["ask", "hi"]).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("databse"));
}

#[test]
fn a_bad_policy_file_is_refused_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("policy.toml"), "[provider]\nname = \"x\"\nbogus = 1\n").unwrap();
    std::fs::write(dir.path().join("bot-config.toml"), "[policy]\nfile = \"policy.toml\"\n").unwrap();
    let output = bin(dir.path()).arg("check-config").output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("policy.toml") && stderr.contains("line 3"), "{stderr}");
}

#[test]
fn check_config_and_migrate_report_what_they_found() {
    let dir = tempfile::tempdir().unwrap();
    let output = bin(dir.path()).arg("check-config").output().unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("14 in scope, 6 out of scope"), "{stdout}");
    let output = bin(dir.path()).arg("migrate").output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let applied = format!("{} migrations applied", common::database::migrations());
    assert!(stdout.contains(&applied), "{stdout}");
    if common::database::on_postgres() {
        assert!(stdout.contains("; PostgreSQL "), "{stdout}");
    } else {
        assert!(stdout.contains("; SQLite, journal mode wal"), "{stdout}");
    }
}

/// A PostgreSQL URL's password is never printed, and a server that cannot
/// be reached is a clear error naming the (redacted) URL.
#[test]
fn an_unreachable_postgres_server_is_a_clear_error_without_its_password() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = bin(dir.path())
        .env(
            "DATABASE_URL",
            format!("postgres://desk:s3cr3t-pw@127.0.0.1:{port}/desk"),
        )
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "cannot open the database postgres://desk:***@127.0.0.1:{port}/desk"
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cr3t-pw"), "{stderr}");
}

#[test]
fn run_refuses_to_start_without_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let output = bin(dir.path()).arg("run").output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("DISCORD_TOKEN is not set"));
}

#[test]
fn the_console_answers_each_line_of_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let stdout = console(
        &dir,
        b"is IAM in scope?\n/contact region:apac\n:role engineer\n:json\ngood morning\n:quit\nis patching in scope?\n",
    );
    assert!(stdout.contains("In scope: IAM policies"), "{stdout}");
    assert!(stdout.contains("+65 6768 8099"), "{stdout}");
    assert!(stdout.contains("You are now an engineer"), "{stdout}");
    assert!(stdout.contains(r#"{"intent":"none""#), "{stdout}");
    assert!(
        !stdout.contains("Out of scope"),
        ":quit stops before the last line: {stdout}"
    );
}

#[test]
fn tickets_confirmed_before_a_kill_9_are_all_on_disk() {
    use std::io::{BufRead, BufReader};

    let dir = tempfile::tempdir().unwrap();
    let mut child = bin(dir.path())
        .args(["console", "--role", "engineer"])
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_PROFILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        for i in 0..2_000 {
            let line = format!(
                "/escalate severity:low subject:\"crash test {i}\" description:\"ticket number {i} of the crash test\"\n"
            );
            if stdin.write_all(line.as_bytes()).is_err() {
                break;
            }
        }
    });
    let mut confirmed = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(rest) = line.split("Ticket #").nth(1) {
            confirmed.push(rest.split(':').next().unwrap().parse::<i64>().unwrap());
            if confirmed.len() == 40 {
                child.kill().unwrap(); // SIGKILL
                break;
            }
        }
    }
    child.wait().unwrap();
    let _ = writer.join();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let url = database_url(dir.path());
        let store = platform_desk::store::Store::open(&url).await.unwrap();
        for id in &confirmed {
            let ticket = store
                .ticket(*id)
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("ticket {id} was lost"));
            assert!(ticket.subject.starts_with("crash test"));
            assert_eq!(store.ticket_events(*id).await.unwrap()[0].kind, "opened");
        }
    });
    assert_eq!(confirmed.len(), 40);
}

#[test]
fn outages_are_answered_from_the_store_in_ask_and_in_the_console() {
    let dir = tempfile::tempdir().unwrap();
    let (json, _) = ask_json(&dir, &["is AWS down right now?"]);
    assert_eq!(json["intent"], "outage");
    let none = json["embeds"].to_string();
    assert!(none.contains("No known outage"), "{none}");
    assert!(none.contains("not followed by this deployment"), "{none}");

    // An engineer declares one in a channel; a separate process sees it.
    let (declared, _) = ask_json(
        &dir,
        &[
            "--role",
            "engineer",
            "--channel",
            "660000000000000001",
            r#"/outage declare title:"Console login failing" severity:urgent description:"SSO redirects loop""#,
        ],
    );
    assert_eq!(declared["intent"], "outage");
    assert!(declared["embeds"].to_string().contains("Outage #1"), "{declared}");
    let (json, _) = ask_json(&dir, &["is AWS down right now?"]);
    assert_eq!(json["intent"], "outage");
    assert!(json["embeds"].to_string().contains("Console login failing"), "{json}");

    let stdout = console(&dir, b"any outages in eu-west-1?\n/outage subscribe\n");
    assert!(stdout.contains("1 open outage in eu-west-1"), "{stdout}");
    assert!(stdout.contains("Console login failing"), "{stdout}");
    assert!(stdout.contains("Only support engineers"), "{stdout}");
}

/// The four kinds of question issue 10 found left silent, paraphrased there:
/// each gets an answer through `ask --json`, with the intent a user expects.
#[test]
fn questions_that_used_to_go_unanswered_are_answered() {
    let dir = tempfile::tempdir().unwrap();
    for (text, intent) in [
        ("what do we owe AWS for november up to now", "spend"),
        ("is tier 1 tech support part of what we get", "scope"),
        (
            "what should I send you when a Cloud Application Manager API call fails with a 400",
            "troubleshoot",
        ),
        ("would you tune our Postgres queries", "scope"),
    ] {
        let (json, _) = ask_json(&dir, &[text]);
        assert_eq!(json["intent"], intent, "{text}: {json}");
        assert!(!json["embeds"].as_array().unwrap().is_empty(), "{text}: silent");
    }
    let (json, _) = ask_json(&dir, &["is tier 1 tech support part of what we get"]);
    assert_eq!(
        json["scope"],
        serde_json::json!({"verdict": "in_scope", "topic": "tier1-support"})
    );
    let (json, _) = ask_json(&dir, &["would you tune our Postgres queries"]);
    assert_ne!(json["scope"]["verdict"], "in_scope", "{json}");
}

#[test]
fn work_on_resources_is_never_in_scope_because_it_mentions_the_bill() {
    let dir = tempfile::tempdir().unwrap();
    let (json, _) = ask_json(
        &dir,
        &["can you delete our unused resources and re-architect the network so the bill goes down"],
    );
    assert_eq!(json["intent"], "scope");
    assert_eq!(json["scope"]["verdict"], "out_of_scope", "{json}");
}

#[test]
fn chit_chat_stays_silent_and_a_question_to_colleagues_is_left_to_them() {
    let dir = tempfile::tempdir().unwrap();
    for text in ["good morning everyone", "anyone up for lunch?", "thanks, that fixed it"] {
        let (json, _) = ask_json(&dir, &[text]);
        assert_eq!(json["intent"], "none", "{text}: {json}");
        assert_eq!(json["embeds"], serde_json::json!([]), "{text}");
    }
}

#[test]
fn check_config_reports_the_classifier_and_vocabulary_overlaps() {
    let dir = tempfile::tempdir().unwrap();
    let output = bin(dir.path()).arg("check-config").output().unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("classifier:"), "{stdout}");
    assert!(
        stdout.contains("no term is listed both in and out of scope"),
        "{stdout}"
    );

    let policy = platform_desk::policy::DEFAULT_POLICY_TOML.replacen(
        "keywords = [\"hotfix\"",
        "keywords = [\"billing\", \"hotfix\"",
        1,
    );
    std::fs::write(dir.path().join("policy.toml"), policy).unwrap();
    std::fs::write(dir.path().join("bot-config.toml"), "[policy]\nfile = \"policy.toml\"\n").unwrap();
    let output = bin(dir.path()).arg("check-config").output().unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("\"billing\": in scope for billing, out of scope for patching"),
        "{stdout}"
    );
}

#[test]
fn a_message_starting_with_a_path_is_a_message_not_a_command() {
    let dir = tempfile::tempdir().unwrap();
    let (json, _) = ask_json(
        &dir,
        &["/var/log/elasticbox/elasticbox-agent.log is empty, where else can I look?"],
    );
    assert_eq!(json["intent"], "troubleshoot", "{json}");
    let (json, _) = ask_json(&dir, &["/nosuchcommand"]);
    assert_eq!(json["ephemeral"], true, "an unknown command is still refused: {json}");
}

#[test]
fn output_to_a_reader_that_goes_away_is_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = bin(dir.path())
        .arg("check-config")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn hands_on_work_in_other_words_is_never_in_scope() {
    let dir = tempfile::tempdir().unwrap();
    for text in [
        "scale down our autoscaling group, the bill is crazy",
        "nuke the unused load balancers, our bill is too high",
        "switch off the test ec2s over the weekend, costs are killing us",
        "buy savings plans for us so our bill goes down",
        "review our bill and then delete whatever is idle",
        "d\u{0435}l\u{0435}t\u{0435} the idle instances so the bill goes down",
    ] {
        let (json, _) = ask_json(&dir, &[text]);
        assert_ne!(json["scope"]["verdict"], "in_scope", "{text}: {json}");
        assert_ne!(json["intent"], "none", "{text}: {json}");
    }
}

#[test]
fn a_line_that_is_not_utf8_is_skipped_and_the_console_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let out = console(
        &dir,
        b"is IAM in scope?\n\xff\xfe\xfd broken bytes\nwho do I call for a critical outage in EMEA?\n",
    );
    assert!(out.contains("invalid UTF-8"), "{out}");
    assert!(
        out.contains("intent: contact"),
        "the session ended at the bad line: {out}"
    );
}

#[test]
fn configuration_and_policy_files_that_are_not_regular_small_files_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let output = bin(dir.path())
        .args(["check-config", "--config", "/dev/zero"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/dev/zero: it is not a regular file"), "{stderr}");

    // A FIFO would block on opening until a writer came: refused at once.
    let fifo = dir.path().join("fifo.toml");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let output = bin(dir.path())
        .args(["check-config", "--config", "fifo.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a regular file"));
    // ...also where the default file is looked for: never silently skipped.
    let default_dir = tempfile::tempdir().unwrap();
    let fifo = default_dir.path().join("bot-config.toml");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let output = bin(default_dir.path()).arg("check-config").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a regular file"));

    std::fs::write(dir.path().join("zero.toml"), "[policy]\nfile = \"/dev/zero\"\n").unwrap();
    let huge = dir.path().join("huge.toml");
    std::fs::write(&huge, "# padding\n".repeat(120_000)).unwrap();
    std::fs::write(dir.path().join("huge-policy.toml"), "[policy]\nfile = \"huge.toml\"\n").unwrap();
    for (config, expected) in [
        ("zero.toml", "it is not a regular file"),
        ("huge-policy.toml", "it is larger than 1024 KiB"),
    ] {
        let output = bin(dir.path())
            .args(["check-config", "--config", config])
            .output()
            .unwrap();
        assert!(!output.status.success(), "{config}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{config}: {stderr}");
    }
}

/// Twenty `ask` processes escalating critical problems at once, with a
/// `worker` running beside them on the same database: none meets "database
/// is locked", every ticket is logged, and every critical ticket is
/// announced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_escalations_beside_a_worker_never_find_the_database_locked() {
    const ASKS: usize = 20;
    let dir = tempfile::tempdir().unwrap();
    // Create the database first, as `migrate` would.
    let migrated = bin(dir.path()).arg("migrate").output().unwrap();
    assert!(migrated.status.success());
    let mut worker = bin(dir.path())
        .arg("worker")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let asks: Vec<_> = (0..ASKS)
        .map(|n| {
            bin(dir.path())
                .env("RUST_LOG", "warn")
                .args(["ask", "--json", "--role", "engineer", "--user", &format!("{}", 4000 + n)])
                .arg(format!(
                    "/escalate severity:critical subject:\"Site {n} down\" description:\"every request returns 503 since 10:42 UTC\""
                ))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in asks {
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "exit {:?}: {stderr}", output.status);
        assert!(!stderr.contains("locked"), "{stderr}");
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert!(json["ticket"]["id"].is_i64(), "{json}");
    }
    // Let the worker make a pass or two over what was written.
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    worker.kill().unwrap();
    let output = worker.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("locked"), "{stderr}");

    let store = platform_desk::store::Store::open(&database_url(dir.path()))
        .await
        .unwrap();
    let announced = store
        .open_outages()
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o.source == platform_desk::store::OutageSource::Escalation)
        .count();
    assert_eq!(announced, ASKS, "every critical ticket is announced");
    assert!(store.escalations_out_of_sync().await.unwrap().is_empty());
}

/// A SQLite file another program keeps locked past the busy timeout: `ask`
/// says something went wrong, with a reference, and exits non-zero. (SQLite
/// on both passes: the lock is SQLite's.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_exits_non_zero_when_the_database_cannot_be_written() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("platform-desk.db").display());
    let migrated = bin(dir.path())
        .env("DATABASE_URL", &url)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(migrated.status.success());
    let mut holder = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE").execute(&mut holder).await.unwrap();
    let output = tokio::task::spawn_blocking({
        let path = dir.path().to_owned();
        let url = url.clone();
        move || {
            bin(&path)
                .env("DATABASE_URL", url)
                .args(["ask", "--json", "--role", "engineer"])
                .arg("/escalate severity:high subject:\"VPN down\" description:\"tunnel 2 dropped at 10:42 UTC\"")
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Something went wrong"), "{stdout}");
    assert!(
        stdout.contains("not logged"),
        "say plainly that nothing was saved: {stdout}"
    );
    assert!(stdout.contains("Call us now"), "and how to reach a person: {stdout}");
}

/// `--channel` with `--guild` answers as in a guild channel: nobody claims
/// this one, so a ticket listing is for the asker only; without `--guild`
/// the channel reads as a direct message.
#[test]
fn ask_answers_as_in_the_channel_and_guild_given() {
    let dir = tempfile::tempdir().unwrap();
    let list = ["--role", "engineer", "--channel", "7777", "/ticket list filter:all"];
    let (in_dm, _) = ask_json(&dir, &list);
    assert_eq!(in_dm["ephemeral"], false);
    let mut in_guild = list.to_vec();
    in_guild.splice(4..4, ["--guild", "1234"]);
    let (json, _) = ask_json(&dir, &in_guild);
    assert_eq!(json["ephemeral"], true, "{json}");
}
