//! The catalog: products (archived, never deleted: T22), their tiered search,
//! and price rules with the one precedence that prices a line (`pricing`).

pub mod barcodes;
pub mod pricing;
mod products;
mod search;

pub use products::{
    archive_product, by_barcode, create_product, format_quantity, get, get_product, insert_product,
    update_product, CreateProductRequest, GetProductRequest, ProductView, TaxClass, Unit,
    UpdateProductRequest, MAX_AMOUNT_MINOR,
};
pub(crate) use products::{check_amount, for_sale, require_active, SaleProduct};
pub use search::{
    search, search_cmd, MatchKind, SearchHit, SearchPage, SearchRequest, SEARCH_OFFSET_MAX,
};
