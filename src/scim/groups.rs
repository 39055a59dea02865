//! `/Groups`: create, get, replace, patch, delete, list, members.

use super::client::ScimClient;
use super::filter::Filter;
use super::ids::{ScimGroupId, ScimUserId};
use super::list::ScimList;
use super::models::ScimGroup;
use super::patch::PatchOp;
use super::resource::{ScimCreate, ScimDelete, ScimGet, ScimPatch, ScimReplace};
use crate::error::Result;

impl ScimClient {
    /// Groups: create, get, replace, patch, delete, list, members.
    pub fn groups(&self) -> ScimGroups {
        ScimGroups {
            client: self.clone(),
        }
    }
}

/// Handler for `/Groups`, from [`ScimClient::groups`]. Owned and cheap (it
/// holds a clone of the client); every call is a builder awaited directly.
///
/// Atlassian: default groups cannot be managed through SCIM, and syncing a
/// group above 10,000 members suspends the directory.
#[derive(Debug, Clone)]
pub struct ScimGroups {
    client: ScimClient,
}

impl ScimGroups {
    /// `POST /Groups`. A taken `displayName` fails with
    /// [`Error::Conflict`](crate::Error::Conflict) on servers that keep names
    /// unique (Atlassian).
    ///
    /// ```no_run
    /// # async fn demo(scim: opsgenie_users::scim::ScimClient) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::scim::ScimGroup;
    /// let g = scim.groups().create(ScimGroup::new("opsgenie-responders").member("2819c223")).await?;
    /// # let _ = g; Ok(()) }
    /// ```
    pub fn create(&self, group: ScimGroup) -> ScimCreate<ScimGroup> {
        ScimCreate::new(self.client.clone(), group)
    }

    /// `GET /Groups/{id}`.
    pub fn get(&self, id: impl Into<ScimGroupId>) -> ScimGet<ScimGroup> {
        ScimGet::new(self.client.clone(), id.into())
    }

    /// `PUT /Groups/{id}`: replaces the group's attributes but never its
    /// membership. A PUT replaces `members` too (RFC 7644 §3.5.1: a group
    /// sent without members loses them all), and a group read from a list
    /// or search may come without its members. So the group is read first
    /// (`GET /Groups/{id}`) and the PUT carries the members just read. A
    /// `group` that lists members other than those fails with
    /// [`Error::InvalidInput`](crate::Error::InvalidInput) before the PUT:
    /// change membership with [`add_members`](Self::add_members) and
    /// [`remove_members`](Self::remove_members) (PATCH).
    ///
    /// ```no_run
    /// # async fn demo(scim: opsgenie_users::scim::ScimClient) -> opsgenie_users::Result<()> {
    /// let mut g = scim.groups().find_by_display_name("ops").await?.expect("exists");
    /// let id = g.id.clone().expect("read groups have ids");
    /// g.display_name = "ops-team".into();
    /// let g = scim.groups().replace(id, g).await?; // members kept as the server has them
    /// # let _ = g; Ok(()) }
    /// ```
    pub fn replace(&self, id: impl Into<ScimGroupId>, group: ScimGroup) -> ScimReplaceGroup {
        ScimReplaceGroup {
            groups: self.clone(),
            id: id.into(),
            group,
        }
    }

    /// `PATCH /Groups/{id}`; resolves to `None` when the server answers 204
    /// without a body (see [`ScimPatch::read_back`]).
    pub fn patch(&self, id: impl Into<ScimGroupId>, op: PatchOp) -> ScimPatch<ScimGroup> {
        ScimPatch::new(self.client.clone(), id.into(), op)
    }

    /// Adds users (by SCIM id) to the group in one PATCH. No ids, or an
    /// invalid one, fails with [`Error::InvalidInput`](crate::Error::InvalidInput)
    /// before sending.
    ///
    /// ```no_run
    /// # async fn demo(scim: opsgenie_users::scim::ScimClient) -> opsgenie_users::Result<()> {
    /// scim.groups().add_members("group-id", ["user-1", "user-2"]).await?;
    /// scim.groups().remove_members("group-id", ["user-2"]).await?;
    /// # Ok(()) }
    /// ```
    pub fn add_members<I, U>(
        &self,
        group_id: impl Into<ScimGroupId>,
        user_ids: I,
    ) -> ScimPatch<ScimGroup>
    where
        I: IntoIterator<Item = U>,
        U: Into<ScimUserId>,
    {
        let (ids, invalid) = member_ids(user_ids);
        self.patch(group_id, PatchOp::add_members(&ids))
            .refuse(invalid)
    }

    /// Removes users from the group, one `remove members[value eq "id"]`
    /// operation per user (the form every server accepts).
    pub fn remove_members<I, U>(
        &self,
        group_id: impl Into<ScimGroupId>,
        user_ids: I,
    ) -> ScimPatch<ScimGroup>
    where
        I: IntoIterator<Item = U>,
        U: Into<ScimUserId>,
    {
        let (ids, invalid) = member_ids(user_ids);
        self.patch(group_id, PatchOp::remove_members(&ids))
            .refuse(invalid)
    }

    /// `DELETE /Groups/{id}`.
    pub fn delete(&self, id: impl Into<ScimGroupId>) -> ScimDelete<ScimGroup> {
        ScimDelete::new(self.client.clone(), id.into())
    }

    /// Lists or searches groups.
    pub fn list(&self) -> ScimList<ScimGroup> {
        ScimList::new(self.client.clone())
    }

    /// The group with this `displayName`, if any.
    pub async fn find_by_display_name(&self, name: &str) -> Result<Option<ScimGroup>> {
        self.list()
            .filter(Filter::display_name_eq(name))
            .one()
            .await
    }
}

/// Builder from [`ScimGroups::replace`]: await it for the group as the
/// server has it after the PUT.
#[derive(Debug)]
#[must_use = "nothing is sent until the builder is awaited"]
pub struct ScimReplaceGroup {
    groups: ScimGroups,
    id: ScimGroupId,
    group: ScimGroup,
}

impl ScimReplaceGroup {
    async fn run(self) -> Result<ScimGroup> {
        let current = self.groups.get(self.id.clone()).await?;
        let mut group = self.group;
        if !group.members.is_empty() && !same_members(&group.members, &current.members) {
            return Err(crate::Error::InvalidInput(
                "replace does not change a group's members (a PUT would overwrite concurrent \
                 changes): use add_members / remove_members"
                    .into(),
            ));
        }
        group.members = current.members;
        ScimReplace::new(self.groups.client.clone(), self.id, group).await
    }
}

impl std::future::IntoFuture for ScimReplaceGroup {
    type Output = Result<ScimGroup>;
    type IntoFuture = futures::future::BoxFuture<'static, Result<ScimGroup>>;
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// The same member ids, in any order.
fn same_members(a: &[super::models::Member], b: &[super::models::Member]) -> bool {
    fn ids(m: &[super::models::Member]) -> Vec<&str> {
        let mut v: Vec<&str> = m.iter().map(|m| m.value.as_str()).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
    ids(a) == ids(b)
}

/// The member ids as text, and why they cannot be sent (none, or an invalid one).
fn member_ids<I, U>(ids: I) -> (Vec<String>, Option<String>)
where
    I: IntoIterator<Item = U>,
    U: Into<ScimUserId>,
{
    let ids: Vec<String> = ids.into_iter().map(|u| String::from(u.into())).collect();
    let invalid = if ids.is_empty() {
        Some("no member ids given".to_string())
    } else {
        ids.iter()
            .find_map(|id| crate::ids::validate("member id", id).err())
            .map(|e| match e {
                crate::Error::InvalidInput(reason) => reason,
                other => other.to_string(),
            })
    };
    (ids, invalid)
}
