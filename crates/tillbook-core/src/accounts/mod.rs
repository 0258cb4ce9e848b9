//! Invoices for account sales, customers' payments on account and their
//! allocation to invoices, the AR aging report and customer statements.
//!
//! # What an invoice bills
//!
//! An order's *on-account part* is the sum of its `on_account` payments. An
//! invoice bills one or more orders of one customer; each order's amount on the
//! invoice is its on-account part minus the on-account refunds of that order
//! made before the invoice (both recorded on `invoice_orders`), and the
//! invoice's total is the sum of those amounts — computed here, never supplied
//! (T20). An order is invoiced at most once (`UNIQUE(order_id)`). Invoice
//! numbers come from the counter `invoices` in the same transaction (T26, T36).
//!
//! # Payments, allocations, credits
//!
//! `customers.receive_payment` records money received (cash, card or bank),
//! posts Dr cash / card clearing / bank, Cr accounts receivable naming the
//! customer, and allocates it to the customer's invoices: as chosen, or oldest
//! due date first. What is not allocated stays the customer's credit on account
//! and can be allocated later (`invoices.allocate`). Receipt numbers come from
//! the counter `customer_payments`.
//!
//! A refund of an invoiced order that goes back on account (`sales/refunds.rs`) is a
//! **credit on that invoice**: it lowers the invoice's outstanding amount just
//! as an allocation does. If the invoice was already paid, its outstanding
//! amount becomes negative — the customer paid more than they now owe on it;
//! the ledger balance shows the same credit.
//!
//! # Status (computed, never stored)
//!
//! `outstanding = total − allocations − credits`; the status is `paid` when
//! nothing is outstanding, else `overdue` when the date is past the due date
//! (`due_on`, a UTC calendar day), else `partially_paid` when anything was
//! allocated or credited, else `open`.
//!
//! # Map
//!
//! `invoices` (the requests and views of invoices, the one definition of
//! outstanding and status, `invoices.create` and the invoice reads),
//! `payments` (payments on account and their allocation), `aging`,
//! `statement` (the customer statement from the ledger), `verify` (drift).

mod aging;
mod invoices;
mod payments;
mod statement;
mod verify;

pub use crate::shared::calendar::parse_date;
pub use aging::{aging, AgingBuckets, AgingReport, AgingRequest, AgingRow};
pub use invoices::{
    create, get, get_invoice, invoiceable, list, AllocationView, CreateRequest, InvoiceOrderView,
    InvoicePage, InvoiceStatus, InvoiceSummary, InvoiceView, InvoiceableOrder, InvoiceablePage,
    InvoiceableRequest, ListRequest, INVOICE_COUNTER, MAX_INVOICE_ORDERS, MAX_TERMS_DAYS,
};
pub use payments::{
    allocate, get_payment, payments, receive_payment, unallocated_credit, AllocateRequest,
    AllocateView, AllocationInput, PaymentPage, PaymentTender, PaymentView, PaymentsRequest,
    ReceivePaymentRequest, MAX_ALLOCATIONS, MAX_AMOUNT_MINOR, PAYMENT_COUNTER,
};
pub use statement::{statement, Statement, StatementKind, StatementLine, StatementRequest};
pub use verify::drift;
