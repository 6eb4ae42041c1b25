//! The bot's `run` in the test process, against the fake Discord.

use std::sync::Arc;
use std::time::Duration;

use platform_desk::app::App;
use platform_desk::config::Secret;

use super::fake_discord::FakeDiscord;

pub struct RunningBot {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningBot {
    /// Starts `run` and waits until it identified on the fake's gateway.
    pub async fn start(app: Arc<App>, discord: &FakeDiscord) -> Self {
        let before = discord.identifications();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let token = Secret::new("fake-token");
        let task = tokio::spawn(async move {
            platform_desk::discord::run(app, &token, async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        discord
            .wait_for("the bot to identify", || discord.identifications() > before)
            .await;
        Self { stop: Some(stop), task }
    }

    /// Asks for a clean shutdown and waits for it.
    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        let _ = tokio::time::timeout(Duration::from_secs(10), &mut self.task).await;
    }

    /// Ends the bot at once, mid-flight, as `kill -9` would (its tasks are
    /// dropped wherever they are).
    pub fn kill(self) {
        self.task.abort();
    }
}
