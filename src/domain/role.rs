/// What a signed-in user may see and change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The agency's main account: manages every sub-account of its agency.
    Owner,
    /// Holds one sub-account and sees only that sub-account.
    Member,
    /// Platform support staff: reads any agency, changes nothing.
    Support,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Member => "member",
            Self::Support => "support",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "owner" => Some(Self::Owner),
            "member" => Some(Self::Member),
            "support" => Some(Self::Support),
            _ => None,
        }
    }
}
