//! The shop's parties: customers (with credit) and vendors (with payments and
//! purchase receipts), over the contact details and steps they share.

mod contacts;
pub mod customers;
pub mod purchase_orders;
pub mod purchasing;
pub mod vendors;

pub(crate) use contacts::{archive, insert, search, update};
pub use contacts::{
    ContactsRequest, PartyTable, SearchRequest, UpdateContactsRequest, CUSTOMERS, VENDORS,
};
