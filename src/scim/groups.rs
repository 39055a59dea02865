//! `/Groups`: create, get, replace, patch, delete, list, members.

use super::client::ScimClient;
use super::filter::Filter;
use super::list::ListBuilder;
use super::models::ScimGroup;
use super::patch::PatchOp;
use crate::error::{Error, Result};

const GROUPS: &str = "Groups";

/// Handler for `/Groups`, from [`ScimClient::groups`].
///
/// Atlassian: default groups cannot be managed through SCIM, and syncing a
/// group above 10,000 members suspends the directory.
#[derive(Debug, Clone, Copy)]
pub struct Groups<'a> {
    client: &'a ScimClient,
}

impl<'a> Groups<'a> {
    pub(crate) fn new(client: &'a ScimClient) -> Self {
        Groups { client }
    }

    /// `POST /Groups`. A taken `displayName` fails with [`Error::Uniqueness`]
    /// on servers that keep names unique (Atlassian).
    ///
    /// ```no_run
    /// # async fn demo(scim: opsgenie_users::scim::ScimClient) -> opsgenie_users::Result<()> {
    /// use opsgenie_users::scim::ScimGroup;
    /// let g = scim.groups().create(&ScimGroup::new("opsgenie-responders").member("2819c223")).await?;
    /// # let _ = g; Ok(()) }
    /// ```
    pub async fn create(&self, group: &ScimGroup) -> Result<ScimGroup> {
        self.client
            .create_resource(GROUPS, &group.for_sending(), || {
                format!("create SCIM group {:?}", group.display_name)
            })
            .await
    }

    /// `GET /Groups/{id}`.
    pub async fn get(&self, id: &str) -> Result<ScimGroup> {
        self.client.get_resource(GROUPS, id).await
    }

    /// `PUT /Groups/{id}` (the member list is replaced too).
    pub async fn replace(&self, id: &str, group: &ScimGroup) -> Result<ScimGroup> {
        self.client
            .replace_resource(GROUPS, id, &group.for_sending())
            .await
    }

    /// `PATCH /Groups/{id}`; `None` when the server answers 204 without a body.
    pub async fn patch(&self, id: &str, op: &PatchOp) -> Result<Option<ScimGroup>> {
        self.client.patch_resource(GROUPS, id, op).await
    }

    /// Adds users (by SCIM id) to the group in one PATCH.
    ///
    /// ```no_run
    /// # async fn demo(scim: opsgenie_users::scim::ScimClient) -> opsgenie_users::Result<()> {
    /// scim.groups().add_members("group-id", ["user-1", "user-2"]).await?;
    /// scim.groups().remove_members("group-id", ["user-2"]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn add_members<I, S>(&self, group_id: &str, user_ids: I) -> Result<Option<ScimGroup>>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let ids = non_empty_ids(user_ids)?;
        self.patch(group_id, &PatchOp::add_members(&ids)).await
    }

    /// Removes users from the group, one `remove members[value eq "id"]`
    /// operation per user (the form every server accepts).
    pub async fn remove_members<I, S>(
        &self,
        group_id: &str,
        user_ids: I,
    ) -> Result<Option<ScimGroup>>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let ids = non_empty_ids(user_ids)?;
        self.patch(group_id, &PatchOp::remove_members(&ids)).await
    }

    /// `DELETE /Groups/{id}`.
    pub async fn delete(&self, id: &str) -> Result<()> {
        self.client.delete_resource(GROUPS, id).await
    }

    /// Lists or searches groups.
    pub fn list(&self) -> ListBuilder<ScimGroup> {
        ListBuilder::new(self.client.clone())
    }

    /// The group with this `displayName`, if any.
    pub async fn find_by_display_name(&self, name: &str) -> Result<Option<ScimGroup>> {
        self.list()
            .filter(Filter::display_name_eq(name))
            .one()
            .await
    }
}

fn non_empty_ids<I, S>(ids: I) -> Result<Vec<String>>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let ids: Vec<String> = ids.into_iter().map(|s| s.as_ref().to_string()).collect();
    if ids.is_empty() {
        return Err(Error::InvalidInput("no member ids given".into()));
    }
    for id in &ids {
        crate::ids::validate("member id", id)?;
    }
    Ok(ids)
}
