//! anju: acquisition of unsold commercial housing for affordable housing.

pub mod domain;
pub mod excel;
