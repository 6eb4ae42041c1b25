//! Spend through the real SDK against moto (started by ./scripts/test): Cost
//! Explorer results seeded through moto's
//! `/moto-api/static/ce/cost-and-usage-results`, accounts created in moto's
//! Organizations, and moto's missing GetCostForecast exercising the
//! run-rate fallback. Each question is a separate `platform-desk` process;
//! requests are counted at the SDK boundary by the stub in front of moto.

mod common;

use std::process::{Command, Output};

use bytes::Bytes;
use common::aws_stub::AwsStub;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

fn bin(dir: &tempfile::TempDir, endpoint: &str) -> Command {
    common::binary_with_aws(dir, endpoint)
}

fn json(output: &Output) -> serde_json::Value {
    common::json_output(output)
}

/// An account in moto's organization, created if needed.
async fn member_account(name: &str) -> String {
    let sdk = common::sdk_config(&common::moto_endpoint()).await;
    let org = aws_sdk_organizations::Client::new(&sdk);
    if org.describe_organization().send().await.is_err() {
        org.create_organization()
            .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
            .send()
            .await
            .unwrap();
    }
    let listed = org.list_accounts().send().await.unwrap();
    if let Some(found) = listed.accounts().iter().find(|a| a.name() == Some(name)) {
        return found.id().unwrap().to_owned();
    }
    let created = org
        .create_account()
        .email(format!("{name}@example.com"))
        .account_name(name)
        .send()
        .await
        .unwrap();
    created
        .create_account_status()
        .unwrap()
        .account_id()
        .unwrap()
        .to_owned()
}

/// Queues Cost Explorer results in moto: daily costs adding up to 1,234.56.
async fn seed_costs(account: &str) {
    let day = |start: &str, end: &str, groups: serde_json::Value| serde_json::json!({"TimePeriod": {"Start": start, "End": end}, "Total": {}, "Groups": groups, "Estimated": false});
    let group = |service: &str, amount: &str| serde_json::json!({"Keys": [account, service], "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}});
    let results = serde_json::json!({"results": [{
        "ResultsByTime": [
            day("2026-11-01", "2026-11-02", serde_json::json!([group("Amazon Elastic Compute Cloud - Compute", "400.00"), group("Amazon Simple Storage Service", "100.00")])),
            day("2026-11-02", "2026-11-03", serde_json::json!([group("Amazon Elastic Compute Cloud - Compute", "300.00"), group("AWS Lambda", "234.56")])),
            day("2026-11-03", "2026-11-04", serde_json::json!([group("Amazon Elastic Compute Cloud - Compute", "200.00")])),
        ],
        "DimensionValueAttributes": []
    }]});
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let request = axum::http::Request::post(format!(
        "{}/moto-api/static/ce/cost-and-usage-results",
        common::moto_endpoint()
    ))
    .header("content-type", "application/json")
    .body(Full::new(Bytes::from(results.to_string())))
    .unwrap();
    let response = client.request(request).await.unwrap();
    assert_eq!(response.status(), 201);
}

fn count(stub: &AwsStub, operation: &str) -> usize {
    stub.operations().iter().filter(|o| *o == operation).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spend_and_estimates_come_from_cost_explorer_once_and_only_to_those_who_may_see_them() {
    let account = member_account("acme-prod").await;
    seed_costs(&account).await;
    let stub = AwsStub::start(&common::moto_endpoint()).await;
    let dir = tempfile::tempdir().unwrap();
    let endpoint = stub.endpoint.clone();
    let run = move |args: &[&str]| {
        let output = bin(&dir, &endpoint).args(args).output().unwrap();
        (output, dir.path().to_owned())
    };

    let (output, _) = tokio::task::block_in_place(|| {
        run(&[
            "ask",
            "--json",
            "--role",
            "engineer",
            "how much have we spent this month?",
        ])
    });
    let spent = json(&output);
    assert_eq!(spent["intent"], "spend");
    let text = spent.to_string();
    assert!(text.contains("1,234.56 USD"), "{text}");
    assert!(
        text.contains(&format!("acme-prod ({account})")),
        "names from Organizations: {text}"
    );
    assert_eq!(count(&stub, "GetCostAndUsage"), 1);

    // Another process, same question, within the TTL: no new request.
    let (output, _) = tokio::task::block_in_place(|| {
        run(&[
            "ask",
            "--json",
            "--role",
            "engineer",
            "how much have we spent this month?",
        ])
    });
    assert!(json(&output).to_string().contains("1,234.56 USD"));
    assert_eq!(count(&stub, "GetCostAndUsage"), 1, "cached across a restart");

    // moto has no GetCostForecast: the estimate falls back to the run-rate and says so.
    let (output, _) = tokio::task::block_in_place(|| {
        run(&[
            "ask",
            "--json",
            "--role",
            "engineer",
            "what will our bill be at the end of the month?",
        ])
    });
    let estimate = json(&output);
    assert_eq!(estimate["intent"], "estimate");
    let today = time::OffsetDateTime::now_utc().date();
    if today.day() == 1 {
        assert!(
            estimate.to_string().contains("can't estimate this month yet"),
            "{estimate}"
        );
    } else {
        assert!(estimate.to_string().contains("Method: daily run-rate"), "{estimate}");
    }
    assert!(count(&stub, "GetCostForecast") >= 1);

    // Someone the configuration does not map to a customer sees no figures.
    let (output, _) = tokio::task::block_in_place(|| run(&["ask", "--json", "how much have we spent this month?"]));
    let refused = json(&output);
    assert!(!refused.to_string().contains("USD"), "{refused}");
    assert_eq!(count(&stub, "GetCostAndUsage"), 1);
}
