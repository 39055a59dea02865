//! SCIM 2.0 client for the Atlassian directory.
