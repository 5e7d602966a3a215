//! A listing's unit list (楼盘表): the rows a developer offers, already checked.

use super::units::AreaM2;
use serde::{Deserialize, Serialize};

/// One dwelling of a unit list, as imported and checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRow {
    /// 楼栋, e.g. "3号楼".
    pub building: String,
    /// 单元 (stair-unit), e.g. "1单元".
    pub stair_unit: String,
    /// 楼层; basements are negative.
    pub floor: i32,
    /// 房号, e.g. "1502".
    pub room: String,
    /// 户型, e.g. "三室两厅".
    pub layout: String,
    /// 建筑面积.
    pub gross_area_m2: AreaM2,
    /// 套内面积.
    pub usable_area_m2: AreaM2,
    /// 朝向, e.g. "南北".
    pub orientation: String,
    /// 抵押.
    pub mortgaged: bool,
    /// 查封.
    pub seized: bool,
}
