//! Sales at the till: pricing a cart, confirming it, reading orders back,
//! refunds, voids and held carts.
//!
//! # Map
//!
//! `cart` (a cart's lines, limits and checks, shared by quote, checkout and
//! holds), `quote` (`sales.quote`: prices, discounts, tax per line, totals),
//! `checkout` (`sales.checkout`: the payments and the one transaction that
//! writes the sale), `orders` (the views, `sales.get`, `sales.list`),
//! `refunds` (`sales.refund`, `sales.refunds`), `void` (`sales.void`),
//! `holds` (`sales.hold`, `sales.held`, `sales.recall`, `sales.cancel_hold`)
//! and `verify` (the checks of `tillbook verify`).
//!
//! Sales call into the till (`till::record_sale`, `till::record_refund`
//! attach a sale or refund to the cashier's open shift), never the other way.

mod cart;
mod checkout;
pub mod discounts;
pub mod holds;
mod orders;
mod quote;
pub mod refunds;
mod unreceipted;
mod verify;
mod void;

pub use cart::{BasketDiscount, CartLine};
pub use checkout::{
    checkout, CheckoutRequest, CheckoutView, PaymentInput, Tender, ORDER_COUNTER, RECEIPT_COUNTER,
};
pub use orders::{
    get, list, LineBatchView, ListRequest, OrderLineView, OrderPage, OrderSummary, OrderView,
    PaymentView,
};
pub use quote::{quote, CartQuote, QuoteLine, QuoteRequest};
pub use unreceipted::{refund_unreceipted, UnreceiptedRefundRequest, UnreceiptedRefundView};
pub use verify::drift;
pub use void::{void, VoidBatchView, VoidRequest, VoidView};
