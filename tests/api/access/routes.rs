//! Every route of the service and the least it asks of its caller, and the
//! status the matrix expects when a caller meets a route.

use super::{Caller, Cast, Cred};

/// The least a route asks of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Need {
    /// Nothing.
    Public,
    /// An enabled user's access token.
    User,
    /// An enabled admin's (or root's) access token.
    Admin,
    /// Root's access token.
    Root,
    /// An enabled user's API key.
    Key,
}

/// Every route of the service but token rotation (see its own test).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Route {
    Status,
    UserSelf,
    TaskSelf,
    TaskAll,
    LogSelf,
    LogAll,
    ListUsers,
    GetUser,
    CreateUser,
    UpdateUser,
    AdjustQuota,
    CreateKey,
    ListKeys,
    UpdateKey,
    DeleteKey,
    ListChannels,
    GetChannel,
    CreateChannel,
    UpdateChannel,
    DeleteChannel,
    GetOptions,
    SetOption,
    Audit,
    Submit,
    FetchMany,
    FetchOne,
}

pub(super) const ROUTES: [Route; 26] = [
    Route::Status,
    Route::UserSelf,
    Route::TaskSelf,
    Route::TaskAll,
    Route::LogSelf,
    Route::LogAll,
    Route::ListUsers,
    Route::GetUser,
    Route::CreateUser,
    Route::UpdateUser,
    Route::AdjustQuota,
    Route::CreateKey,
    Route::ListKeys,
    Route::UpdateKey,
    Route::DeleteKey,
    Route::ListChannels,
    Route::GetChannel,
    Route::CreateChannel,
    Route::UpdateChannel,
    Route::DeleteChannel,
    Route::GetOptions,
    Route::SetOption,
    Route::Audit,
    Route::Submit,
    Route::FetchMany,
    Route::FetchOne,
];

impl Route {
    pub(super) fn need(self) -> Need {
        match self {
            Route::Status => Need::Public,
            Route::UserSelf
            | Route::TaskSelf
            | Route::LogSelf
            | Route::CreateKey
            | Route::ListKeys
            | Route::UpdateKey
            | Route::DeleteKey => Need::User,
            Route::TaskAll
            | Route::LogAll
            | Route::ListUsers
            | Route::GetUser
            | Route::CreateUser
            | Route::UpdateUser
            | Route::AdjustQuota
            | Route::ListChannels
            | Route::GetChannel
            | Route::CreateChannel
            | Route::UpdateChannel
            | Route::DeleteChannel => Need::Admin,
            Route::GetOptions | Route::SetOption | Route::Audit => Need::Root,
            Route::Submit | Route::FetchMany | Route::FetchOne => Need::Key,
        }
    }
}

impl Caller {
    /// The status the matrix expects for `route`.
    pub(super) fn expected(&self, route: Route, w: &Cast) -> u16 {
        let a = &self.actor;
        match (route.need(), self.cred) {
            (Need::Public, _) => 200,
            (Need::Key, Cred::ApiKey) if !a.enabled => 403,
            // Only alice owns the task fetched by id.
            (Need::Key, Cred::ApiKey) if route == Route::FetchOne && a.id != w.alice.id => 404,
            (Need::Key, Cred::ApiKey) => 200,
            (Need::Key, _) => 401,
            (_, Cred::AccessToken) if !a.enabled => 403,
            (need, Cred::AccessToken) if a.need < need => 403,
            (_, Cred::AccessToken) => 200,
            _ => 401,
        }
    }
}
