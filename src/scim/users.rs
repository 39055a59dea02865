//! `/Users`: create, get, replace, patch, delete, list, upsert, deactivate.

use serde_json::Value;

use super::client::ScimClient;
use super::filter::Filter;
use super::list::ListBuilder;
use super::models::ScimUser;
use super::patch::PatchOp;
use crate::error::{Error, Result};

const USERS: &str = "Users";

/// Handler for `/Users`, from [`ScimClient::users`].
#[derive(Debug, Clone, Copy)]
pub struct Users<'a> {
    client: &'a ScimClient,
}

/// What [`Users::upsert`] did.
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

impl<'a> Users<'a> {
    pub(crate) fn new(client: &'a ScimClient) -> Self {
        Users { client }
    }

    /// `POST /Users`. A taken `userName` fails with [`Error::Uniqueness`]. The
    /// create is not retried after a timeout or 5xx: such a failure comes back
    /// as [`Error::AmbiguousOutcome`] (look the user up before trying again,
    /// or use [`upsert`](Self::upsert)).
    ///
    /// ```no_run
    /// # async fn demo(scim: opsgenie_users::scim::ScimClient) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::scim::{ScimUser, Name};
    /// let u = scim.users()
    ///     .create(&ScimUser::new("jane@example.com").external_id("okta-1").name(Name::new("Jane", "Doe")))
    ///     .await?;
    /// println!("created {}", u.id.unwrap_or_default());
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, user: &ScimUser) -> Result<ScimUser> {
        let body = user.for_sending();
        self.client
            .create_resource(USERS, &body, || {
                format!("create SCIM user {:?}", user.user_name)
            })
            .await
    }

    /// `GET /Users/{id}`.
    pub async fn get(&self, id: &str) -> Result<ScimUser> {
        self.client.get_resource(USERS, id).await
    }

    /// `PUT /Users/{id}`: replaces every attribute with `user`'s (attributes
    /// left out are cleared). Read, change, replace keeps unknown attributes.
    pub async fn replace(&self, id: &str, user: &ScimUser) -> Result<ScimUser> {
        self.client
            .replace_resource(USERS, id, &user.for_sending())
            .await
    }

    /// `PATCH /Users/{id}`. Returns the user when the server sends it
    /// (Atlassian: 200 with the resource), `None` when it answers 204
    /// without a body (RFC 7644 allows both; scim2-server does the latter).
    /// See [`patch_and_get`](Self::patch_and_get).
    pub async fn patch(&self, id: &str, op: &PatchOp) -> Result<Option<ScimUser>> {
        self.client.patch_resource(USERS, id, op).await
    }

    /// Like [`patch`](Self::patch), then reads the user back when the server
    /// answered without a body.
    pub async fn patch_and_get(&self, id: &str, op: &PatchOp) -> Result<ScimUser> {
        match self.patch(id, op).await? {
            Some(u) => Ok(u),
            None => self.get(id).await,
        }
    }

    /// `DELETE /Users/{id}`. What it does depends on the provider:
    ///
    /// * **Atlassian** deactivates the account rather than deleting it (the
    ///   Atlassian account and its history stay); prefer
    ///   [`deactivate`](Self::deactivate), which says so.
    /// * A plain RFC 7644 server (scim2-server, most IdP test servers)
    ///   deletes the resource for good: later `get` answers 404.
    pub async fn delete(&self, id: &str) -> Result<()> {
        self.client.delete_resource(USERS, id).await
    }

    /// Lists or searches users (`filter`, paging, `stream`).
    pub fn list(&self) -> ListBuilder<ScimUser> {
        ListBuilder::new(self.client.clone())
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
        let err = match self.create(user).await {
            Ok(u) => return Ok(Upserted::Created(u)),
            Err(e @ (Error::Uniqueness(_) | Error::AmbiguousOutcome { .. })) => e,
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
        let changes = desired.changes_from(&existing);
        if changes.is_empty() {
            return Ok(Upserted::Unchanged(existing));
        }
        let op = PatchOp::new().replace_attributes(Value::Object(changes));
        self.patch_and_get(&id, &op).await.map(Upserted::Updated)
    }

    /// Deactivates the user (`replace active=false`): the safe offboarding
    /// path on every provider, keeping the account and its history.
    /// Optionally also removes it from its groups, which identity providers
    /// tend to leave behind.
    ///
    /// ```no_run
    /// # async fn demo(scim: opsgenie_users::scim::ScimClient) -> opsgenie_users::Result<()> {
    /// let done = scim.users().deactivate("2819c223").strip_groups(true).send().await?;
    /// println!("removed from {} groups", done.removed_from_groups.len());
    /// # Ok(()) }
    /// ```
    pub fn deactivate(&self, id: &str) -> Deactivate<'a> {
        Deactivate {
            client: self.client,
            id: id.to_string(),
            strip_groups: false,
        }
    }
}

/// Builder from [`Users::deactivate`].
#[derive(Debug)]
#[must_use = "nothing happens until `send`"]
pub struct Deactivate<'a> {
    client: &'a ScimClient,
    id: String,
    strip_groups: bool,
}

/// What [`Deactivate::send`] did.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Deactivated {
    /// The user after the change, when the server returned it.
    pub user: Option<ScimUser>,
    /// Ids of the groups the user was removed from.
    pub removed_from_groups: Vec<String>,
}

impl Deactivate<'_> {
    /// Also remove the user from every group it is a member of.
    pub fn strip_groups(mut self, yes: bool) -> Self {
        self.strip_groups = yes;
        self
    }

    /// Sends the PATCH (and the group removals).
    ///
    /// Groups come from the user's `groups` attribute; when the server does
    /// not fill it, every group is listed and searched for the member.
    pub async fn send(self) -> Result<Deactivated> {
        let users = Users::new(self.client);
        let user = users.patch(&self.id, &PatchOp::deactivate_user()).await?;
        let mut removed = Vec::new();
        if self.strip_groups {
            let refs = match &user {
                Some(u) if !u.groups.is_empty() => u.groups.clone(),
                _ => users.get(&self.id).await?.groups,
            };
            let group_ids: Vec<String> = if refs.is_empty() {
                use futures::TryStreamExt;
                self.client
                    .groups()
                    .list()
                    .stream()
                    .try_filter(|g| {
                        futures::future::ready(g.members.iter().any(|m| m.value == self.id))
                    })
                    .map_ok(|g| g.id.unwrap_or_default())
                    .try_collect()
                    .await?
            } else {
                refs.into_iter().map(|g| g.value).collect()
            };
            let groups = self.client.groups();
            for gid in group_ids.into_iter().filter(|g| !g.is_empty()) {
                groups.remove_members(&gid, [self.id.as_str()]).await?;
                removed.push(gid);
            }
        }
        Ok(Deactivated {
            user,
            removed_from_groups: removed,
        })
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
