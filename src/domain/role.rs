//! The people who use anju (DOMAIN.md §1). Roles are checked on the server for every action.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 县住房保障部门 / 住建局.
    HousingBureau,
    /// 自然资源局.
    NaturalResources,
    /// 收购主体 (state-owned company).
    Acquirer,
    /// 住房保障工作领导组(办公室).
    LeadingGroup,
    /// 县/市人民政府: designates the acquirer (HS-A3, YQ-7, NC-5, XY-41), approves initial rents
    /// (HS-P8) and the Nanchang and Xingyi sale prices (NC-30, XY-13).
    Government,
    /// 财政局 (国资).
    FinanceBureau,
    /// 房地产开发企业.
    Developer,
    /// 第三方评估机构.
    Appraiser,
    /// 纪委监委 / 审计局: reads everything, changes nothing.
    Supervisor,
    /// 受理单位: accepts and first-reviews households' applications (YQ-12: 社区（村）and
    /// 街道（乡镇）; NC-26: 区住房保障部门; XY-18: the accepting unit).
    AcceptingUnit,
    /// A verifying department (公安, 民政, 人社, 公积金, …; ALLOCATION.md §3); the account's
    /// `org` names the department key.
    Verifier,
    /// 公证机关: witnesses and records the lottery's seed (XY-25.3).
    Notary,
    /// Manages user accounts; takes no part in any workflow.
    Admin,
}

impl Role {
    pub const ALL: [Role; 13] = [
        Role::HousingBureau,
        Role::NaturalResources,
        Role::Acquirer,
        Role::LeadingGroup,
        Role::Government,
        Role::FinanceBureau,
        Role::Developer,
        Role::Appraiser,
        Role::Supervisor,
        Role::AcceptingUnit,
        Role::Verifier,
        Role::Notary,
        Role::Admin,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Role::HousingBureau => "housing_bureau",
            Role::NaturalResources => "natural_resources",
            Role::Acquirer => "acquirer",
            Role::LeadingGroup => "leading_group",
            Role::Government => "government",
            Role::FinanceBureau => "finance_bureau",
            Role::Developer => "developer",
            Role::Appraiser => "appraiser",
            Role::Supervisor => "supervisor",
            Role::AcceptingUnit => "accepting_unit",
            Role::Verifier => "verifier",
            Role::Notary => "notary",
            Role::Admin => "admin",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Role::HousingBureau => "住房保障部门",
            Role::NaturalResources => "自然资源局",
            Role::Acquirer => "收购主体",
            Role::LeadingGroup => "住房保障工作领导组",
            Role::Government => "人民政府",
            Role::FinanceBureau => "财政局",
            Role::Developer => "房地产开发企业",
            Role::Appraiser => "评估机构",
            Role::Supervisor => "纪委监委/审计局",
            Role::AcceptingUnit => "受理单位",
            Role::Verifier => "核查部门",
            Role::Notary => "公证机关",
            Role::Admin => "系统管理员",
        }
    }

    /// Officials see every listing; a developer sees only its own company's.
    pub fn sees_all_listings(self) -> bool {
        !matches!(self, Role::Developer)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.key() == s).ok_or_else(|| {
            format!(
                "unknown role {s:?}; known roles: {}",
                Role::ALL.map(|r| r.key()).join(", ")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn role_keys_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.key().parse::<Role>().unwrap(), r);
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.key())
            );
        }
        assert!("mayor".parse::<Role>().is_err());
    }
}
