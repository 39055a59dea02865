//! `/Users`: create, get, replace, patch, delete, list, upsert, deactivate.

use std::future::IntoFuture;

use futures::future::BoxFuture;
use serde_json::Value;

use super::client::ScimClient;
use super::filter::Filter;
use super::ids::{ScimGroupId, ScimUserId};
use super::list::ScimList;
use super::models::{ScimGroup, ScimUser};
use super::patch::PatchOp;
use super::resource::{ScimCreate, ScimDelete, ScimGet, ScimPatch, ScimReplace};
use crate::error::{Error, Result};

impl ScimClient {
    /// Users: create, get, replace, patch, delete, list, upsert, deactivate.
    pub fn users(&self) -> ScimUsers {
        ScimUsers {
            client: self.clone(),
        }
    }
}

/// Handler for `/Users`, from [`ScimClient::users`]. Owned and cheap (it
/// holds a clone of the client); every call is a builder awaited directly.
#[derive(Debug, Clone)]
pub struct ScimUsers {
    client: ScimClient,
}

/// What [`ScimUsers::upsert`] did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Upserted {
    /// No user had the `externalId` (or `userName`): it was created.
    Created(ScimUser),
    /// An existing user was patched to match.
    Updated(ScimUser),
    /// An existing user already matched: nothing was sent.
    Unchanged(ScimUser),
}

impl Upserted {
    /// The user as the server has it now.
    pub fn user(&self) -> &ScimUser {
        match self {
            Upserted::Created(u) | Upserted::Updated(u) | Upserted::Unchanged(u) => u,
        }
    }
}

impl ScimUsers {
    /// `POST /Users`. A taken `userName` fails with [`Error::Conflict`]. The
    /// create is not retried after a timeout or 5xx: such a failure comes back
    /// as [`Error::AmbiguousOutcome`] (look the user up before trying again,
    /// or use [`upsert`](Self::upsert)).
    ///
    /// ```no_run
    /// # async fn demo(scim: opsgenie_users::scim::ScimClient) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::scim::{ScimUser, Name};
    /// let u = scim.users()
    ///     .create(ScimUser::new("jane@example.com").external_id("okta-1").name(Name::new("Jane", "Doe")))
    ///     .await?;
    /// println!("created {:?}", u.id);
    /// # Ok(()) }
    /// ```
    pub fn create(&self, user: ScimUser) -> ScimCreate<ScimUser> {
        ScimCreate::new(self.client.clone(), user)
    }

    /// `GET /Users/{id}`.
    pub fn get(&self, id: impl Into<ScimUserId>) -> ScimGet<ScimUser> {
        ScimGet::new(self.client.clone(), id.into())
    }

    /// `PUT /Users/{id}`: replaces every attribute with `user`'s (attributes
    /// left out are cleared). Read, change, replace keeps unknown attributes.
    pub fn replace(&self, id: impl Into<ScimUserId>, user: ScimUser) -> ScimReplace<ScimUser> {
        ScimReplace::new(self.client.clone(), id.into(), user)
    }

    /// `PATCH /Users/{id}`. Resolves to the user when the server sends it
    /// (Atlassian: 200 with the resource), `None` when it answers 204
    /// without a body (RFC 7644 allows both; scim2-server does the latter);
    /// add [`read_back`](ScimPatch::read_back) to always get the user.
    ///
    /// ```no_run
    /// # async fn demo(scim: opsgenie_users::scim::ScimClient) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::scim::PatchOp;
    /// let user = scim.users().patch("2819c223", PatchOp::new().replace("title", "SRE")).read_back().await?;
    /// # let _ = user; Ok(()) }
    /// ```
    pub fn patch(&self, id: impl Into<ScimUserId>, op: PatchOp) -> ScimPatch<ScimUser> {
        ScimPatch::new(self.client.clone(), id.into(), op)
    }

    /// `DELETE /Users/{id}`. What it does depends on the provider:
    ///
    /// * **Atlassian** deactivates the account rather than deleting it (the
    ///   Atlassian account and its history stay); prefer
    ///   [`deactivate`](Self::deactivate), which says so.
    /// * A plain RFC 7644 server (scim2-server, most IdP test servers)
    ///   deletes the resource for good: later `get` answers 404.
    pub fn delete(&self, id: impl Into<ScimUserId>) -> ScimDelete<ScimUser> {
        ScimDelete::new(self.client.clone(), id.into())
    }

    /// Lists or searches users (`filter`, paging, `stream`).
    pub fn list(&self) -> ScimList<ScimUser> {
        ScimList::new(self.client.clone())
    }

    /// The user with this `userName` (case-insensitive on most servers), if any.
    pub async fn find_by_user_name(&self, user_name: &str) -> Result<Option<ScimUser>> {
        self.find_one(Filter::user_name_eq(user_name)).await
    }

    /// The user with this `externalId`, if any.
    pub async fn find_by_external_id(&self, external_id: &str) -> Result<Option<ScimUser>> {
        self.find_one(Filter::external_id_eq(external_id)).await
    }

    async fn find_one(&self, filter: Filter) -> Result<Option<ScimUser>> {
        self.list().filter(filter).one().await
    }

    /// Creates or updates the user keyed on `externalId` (not e-mail: a
    /// changed address would unlink or duplicate the account).
    ///
    /// 1. Look up by `externalId`; if found, PATCH (`replace`) the attributes
    ///    `user` sets that differ, or do nothing when none differ.
    /// 2. Otherwise create. On 409 (the `userName` is taken) or a lost answer,
    ///    look up by `externalId` then `userName` and PATCH that user, unless
    ///    it carries a different `externalId` (another identity's account:
    ///    the 409 is returned instead of taking it over).
    ///
    /// `user.external_id` is required.
    pub async fn upsert(&self, user: &ScimUser) -> Result<Upserted> {
        let ext = match user.external_id.as_deref() {
            Some(e) if !e.trim().is_empty() => e,
            _ => {
                return Err(Error::InvalidInput(
                    "upsert needs the user's externalId".into(),
                ))
            }
        };
        if let Some(existing) = self.find_by_external_id(ext).await? {
            return self.update_to(existing, user).await;
        }
        let err = match self.create(user.clone()).await {
            Ok(u) => return Ok(Upserted::Created(u)),
            Err(e @ (Error::Conflict(_) | Error::AmbiguousOutcome { .. })) => e,
            Err(e) => return Err(e),
        };
        if let Some(existing) = self.find_by_external_id(ext).await? {
            return self.update_to(existing, user).await;
        }
        match self.find_by_user_name(&user.user_name).await? {
            Some(existing)
                if existing
                    .external_id
                    .as_deref()
                    .is_none_or(|e| e.is_empty() || e == ext) =>
            {
                self.update_to(existing, user).await
            }
            _ => Err(err),
        }
    }

    async fn update_to(&self, existing: ScimUser, desired: &ScimUser) -> Result<Upserted> {
        let id = existing.id.clone().ok_or_else(|| {
            Error::InvalidInput("the server returned a user without an id".into())
        })?;
        let mut changes = desired.changes_from(&existing);
        if changes.is_empty() {
            return Ok(Upserted::Unchanged(existing));
        }
        complete_changed_name(&mut changes, &existing);
        let op = PatchOp::new().replace_attributes(Value::Object(changes));
        self.patch(id, op).read_back().await.map(Upserted::Updated)
    }

    /// Deactivates the user (`replace active=false`): the safe offboarding
    /// path on every provider, keeping the account and its history.
    /// Optionally also removes it from its groups, which identity providers
    /// tend to leave behind.
    ///
    /// ```no_run
    /// # async fn demo(scim: opsgenie_users::scim::ScimClient) -> opsgenie_users::Result<()> {
    /// let done = scim.users().deactivate("2819c223").strip_groups(true).await?;
    /// println!("removed from {} groups", done.removed_from_groups.len());
    /// # Ok(()) }
    /// ```
    pub fn deactivate(&self, id: impl Into<ScimUserId>) -> Deactivate {
        Deactivate {
            users: self.clone(),
            id: id.into(),
            strip_groups: false,
        }
    }
}

/// The groups that list `id` as a member: a `members[value eq "id"]`
/// search; when the server refuses that filter (400 or 501; Atlassian
/// filters groups by `displayName` only), every group is listed and scanned.
async fn groups_with_member(
    groups: &super::groups::ScimGroups,
    id: &ScimUserId,
) -> Result<Vec<ScimGroupId>> {
    use futures::TryStreamExt;
    let filter = Filter::value_path("members", Filter::eq("value", id.as_str()));
    let me = id.as_str();
    let found: Result<Vec<ScimGroup>> = groups.list().filter(filter).stream().try_collect().await;
    let (found, filtered) = match found {
        Ok(found) => (found, true),
        Err(e)
            if e.status()
                .is_some_and(|s| s.as_u16() == 400 || s.as_u16() == 501) =>
        {
            tracing::debug!(error = %e, "members filter refused: scanning every group");
            (groups.list().stream().try_collect().await?, false)
        }
        Err(e) => return Err(e),
    };
    Ok(found
        .into_iter()
        // Keep the groups that list the member; a filtered answer may also
        // leave the member list out, and then the server's match stands.
        .filter(|g| g.members.iter().any(|m| m.value == me) || (filtered && g.members.is_empty()))
        .filter_map(|g| g.id)
        .collect())
}

/// A PATCH `replace` of `name` leaves the sub-attributes it does not name
/// as they are (RFC 7644 §3.5.2.3), so a new given or family name without a
/// `formatted` would leave the old full name in `name.formatted`; and a
/// server that replaces a complex attribute whole would drop the parts not
/// named. So the name is sent complete: the current name overlaid with the
/// new parts, with `formatted` recomputed (honorific prefix, given, middle,
/// family, honorific suffix) unless the caller set it.
fn complete_changed_name(changes: &mut serde_json::Map<String, Value>, existing: &ScimUser) {
    let Some(Value::Object(new)) = changes.get_mut("name") else {
        return;
    };
    let mut merged = match serde_json::to_value(&existing.name) {
        Ok(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    for (k, v) in new.iter() {
        merged.insert(k.clone(), v.clone());
    }
    if !new.contains_key("formatted") {
        let formatted: Vec<&str> = [
            "honorificPrefix",
            "givenName",
            "middleName",
            "familyName",
            "honorificSuffix",
        ]
        .iter()
        .filter_map(|k| merged.get(*k).and_then(Value::as_str))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
        if !formatted.is_empty() {
            let formatted = formatted.join(" ");
            merged.insert("formatted".into(), Value::String(formatted));
        }
    }
    *new = merged;
}

/// Builder from [`ScimUsers::deactivate`]; await it.
#[derive(Debug)]
#[must_use = "nothing is sent until the builder is awaited"]
pub struct Deactivate {
    users: ScimUsers,
    id: ScimUserId,
    strip_groups: bool,
}

/// What awaiting a [`Deactivate`] did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Deactivated {
    /// The user after the change, when the server returned it.
    pub user: Option<ScimUser>,
    /// The groups the user was removed from.
    pub removed_from_groups: Vec<ScimGroupId>,
}

impl Deactivate {
    /// Also remove the user from every group it is a member of.
    ///
    /// Groups come from the user's `groups` attribute and from a
    /// `members[value eq "id"]` group search; a server that refuses that
    /// filter has every group listed and scanned for the member.
    pub fn strip_groups(mut self, yes: bool) -> Self {
        self.strip_groups = yes;
        self
    }

    async fn run(self) -> Result<Deactivated> {
        let users = &self.users;
        let user = users.patch(&self.id, PatchOp::deactivate_user()).await?;
        let mut removed = Vec::new();
        if self.strip_groups {
            let refs = match &user {
                Some(u) if !u.groups.is_empty() => u.groups.clone(),
                _ => users.get(&self.id).await?.groups,
            };
            let groups = users.client.groups();
            // The user's `groups` attribute may be empty or partial (it is
            // optional for servers): search the groups by member too.
            let mut group_ids: Vec<ScimGroupId> = refs
                .into_iter()
                .map(|g| ScimGroupId::new(g.value))
                .collect();
            for gid in groups_with_member(&groups, &self.id).await? {
                if !group_ids.contains(&gid) {
                    group_ids.push(gid);
                }
            }
            for gid in group_ids.into_iter().filter(|g| !g.as_str().is_empty()) {
                groups.remove_members(&gid, [&self.id]).await?;
                removed.push(gid);
            }
        }
        Ok(Deactivated {
            user,
            removed_from_groups: removed,
        })
    }
}

impl IntoFuture for Deactivate {
    type Output = Result<Deactivated>;
    type IntoFuture = BoxFuture<'static, Result<Deactivated>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::models::Name;

    #[test]
    fn only_changed_attributes_are_patched() {
        let existing: ScimUser = serde_json::from_value(serde_json::json!({
            "id": "1", "userName": "jane@x.com", "externalId": "e1", "active": true,
            "name": {"givenName": "Jane", "familyName": "Doe", "formatted": "Jane Doe"},
            "groups": [{"value": "g"}], "meta": {"version": "1"}
        }))
        .unwrap();
        let same = ScimUser::new("jane@x.com")
            .external_id("e1")
            .name(Name::new("Jane", "Doe"));
        assert!(same.changes_from(&existing).is_empty());
        let changed = ScimUser::new("jane@x.com")
            .external_id("e1")
            .name(Name::new("Jane", "Roe"))
            .title("SRE");
        let c = changed.changes_from(&existing);
        assert_eq!(
            Value::Object(c),
            serde_json::json!({"name": {"givenName": "Jane", "familyName": "Roe"}, "title": "SRE"})
        );
    }
}
