//! Inventory: batches (lots), stock movements, reservations and stock counts.
//!
//! Every change of quantity is a `stock_movements` row; a batch's `on_hand` is
//! the sum of its movements, cached on the batch by a trigger in the same
//! statement, with `CHECK (on_hand >= 0)` and `CHECK (reserved <= on_hand)`.
//! Those CHECKs are the lock (D01, T17): two tills — in one process or two —
//! can't reserve or sell the last unit twice, because the second transaction's
//! statement fails the CHECK and becomes `insufficient_stock`.
//!
//! Other modules (sales, purchase receipts) call [`receive_batch`],
//! [`pick_batches`], [`move_stock`] (or [`move_picked`]), [`reserve`] and [`release`] inside their
//! own transaction.

mod commands;
mod counts;
mod list;
pub mod lots;
mod low;
mod movements;
mod open_counts;
mod verify;
mod views;

pub use commands::{
    adjust_cmd, batches_cmd, expire_cmd, movements_cmd, receive_cmd, release_cmd, reserve_cmd,
    AdjustKind, AdjustRequest, BatchesRequest, ExpiredReservations, MovementsRequest,
    ReceiveRequest, ReleaseRequest, ReserveRequest,
};
pub use counts::{
    count_open, count_post, count_record, count_review, get_count, CountLineView, CountOpenRequest,
    CountPostRequest, CountRecordRequest, CountReview, CountReviewRequest, CountView,
};
pub use list::{
    stock_list, StockListLine, StockListPage, StockListRequest, STOCK_LIST_PAGE_DEFAULT,
    STOCK_LIST_PAGE_MAX,
};
pub use low::{
    low_stock, low_stock_cmd, LowStock, LowStockLine, LowStockRequest, LOW_STOCK_LIMIT_MAX,
};
pub use movements::{
    consume_reservation, cost_of_picks, free_quantity, move_picked, move_stock, pick_batches,
    receive_batch, release, release_expired, reserve, reserve_product, Move, MovementKind, Pick,
    Receipt, ReleaseReason, Source,
};
pub use open_counts::{open_counts, OpenCountView, OPEN_COUNTS_MAX};
pub use verify::reconcile;
pub use views::{get_batch, get_reservation, BatchView, MovementView, ReservationView};
