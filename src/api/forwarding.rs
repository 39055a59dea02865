//! Forwarding rules: `client.forwarding_rules()` (`/v2/forwarding-rules`).
//!
//! A rule is addressed by id or by alias ([`ForwardingRuleRef`], sent with
//! `identifierType=id|alias`; a string is an alias). A user's own rules are
//! also listed by [`UsersHandler::forwarding_rules`](crate::api::users::UsersHandler::forwarding_rules).
//!
//! ```no_run
//! # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
//! use opsgenie_users::models::forwarding::{ForwardingRuleUpdate, UserMeta};
//! use opsgenie_users::ForwardingRuleRef;
//! let rules = client.forwarding_rules();
//! let rule = rules.get(ForwardingRuleRef::alias("vacation")).await?;
//! if let Some(update) = ForwardingRuleUpdate::from_rule(&rule) {
//!     rules
//!         .update(&rule.id, update.to_user(UserMeta::username("cover@example.com")))
//!         .await?;
//! }
//! # Ok(()) }
//! ```

use crate::api::{call, named_segment, send_data, send_write};
use crate::client::Client;
use crate::ids::ForwardingRuleRef;
use crate::models::common::WriteResult;
use crate::models::forwarding::{ForwardingRule, ForwardingRuleUpdate};
use crate::request::{ApiRequest, Domain};

impl Client {
    /// Forwarding rule calls.
    pub fn forwarding_rules(&self) -> ForwardingRulesHandler {
        ForwardingRulesHandler {
            client: self.clone(),
        }
    }
}

/// Forwarding rule calls. Get one with [`Client::forwarding_rules`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct ForwardingRulesHandler {
    client: Client,
}

call!(
    /// [`ForwardingRulesHandler::get`].
    GetForwardingRule -> ForwardingRule
);
call!(
    /// [`ForwardingRulesHandler::list`].
    ListForwardingRules -> Vec<ForwardingRule>
);
call!(
    /// [`ForwardingRulesHandler::update`].
    UpdateForwardingRule -> WriteResult
);
call!(
    /// [`ForwardingRulesHandler::delete`].
    DeleteForwardingRule -> WriteResult
);

fn rule_path(req: ApiRequest, rule: &ForwardingRuleRef) -> ApiRequest {
    named_segment(req.path("v2/forwarding-rules"), "identifierType", rule)
}

impl ForwardingRulesHandler {
    /// Gets one rule (`GET /v2/forwarding-rules/{identifier}`).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// let rule = client.forwarding_rules().get("vacation").await?; // by alias
    /// # Ok(()) }
    /// ```
    pub fn get(&self, rule: impl Into<ForwardingRuleRef>) -> GetForwardingRule {
        let req = rule_path(ApiRequest::get(Domain::Configuration), &rule.into());
        GetForwardingRule::new(send_data(self.client.clone(), req))
    }

    /// Lists every forwarding rule of the account (`GET /v2/forwarding-rules`).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// for rule in client.forwarding_rules().list().await? {
    ///     println!("{} {:?}", rule.id, rule.alias);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> ListForwardingRules {
        let req = ApiRequest::get(Domain::Configuration).path("v2/forwarding-rules");
        ListForwardingRules::new(send_data(self.client.clone(), req))
    }

    /// Replaces a rule (`PUT /v2/forwarding-rules/{identifier}`). The body
    /// is complete (the spec requires every field), so nothing is lost;
    /// idempotent.
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::models::forwarding::{ForwardingRuleUpdate, UserMeta};
    /// let update = ForwardingRuleUpdate::new(
    ///     UserMeta::username("jane@example.com"),
    ///     UserMeta::username("cover@example.com"),
    ///     "2026-01-01T00:00:00Z".parse().unwrap(),
    /// );
    /// client.forwarding_rules().update("vacation", update).await?;
    /// # Ok(()) }
    /// ```
    pub fn update(
        &self,
        rule: impl Into<ForwardingRuleRef>,
        update: ForwardingRuleUpdate,
    ) -> UpdateForwardingRule {
        let req = rule_path(ApiRequest::put(Domain::Configuration), &rule.into())
            .json(&update)
            .idempotent(true);
        UpdateForwardingRule::new(send_write(self.client.clone(), req))
    }

    /// Deletes a rule (`DELETE /v2/forwarding-rules/{identifier}`).
    ///
    /// ```no_run
    /// # async fn demo(client: opsgenie_users::Client) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::ForwardingRuleRef;
    /// client.forwarding_rules().delete(ForwardingRuleRef::id("f-1")).await?;
    /// # Ok(()) }
    /// ```
    pub fn delete(&self, rule: impl Into<ForwardingRuleRef>) -> DeleteForwardingRule {
        let req = rule_path(ApiRequest::delete(Domain::Configuration), &rule.into());
        DeleteForwardingRule::new(send_write(self.client.clone(), req))
    }
}
