//! The catalog: products (archived, never deleted: T22), their tiered search
//! and paged list, the till's quick keys, and price rules with the one
//! precedence that prices a line (`pricing`).

pub mod barcodes;
pub mod pricing;
mod products;
pub mod quick_keys;
mod search;
pub mod tax;

pub use products::{
    archive_product, by_barcode, create_product, format_quantity, get, get_product, insert_product,
    update_product, CreateProductRequest, GetProductRequest, ProductView, TaxClass, Unit,
    UpdateProductRequest, MAX_AMOUNT_MINOR,
};
pub(crate) use products::{check_amount, for_sale, require_active, SaleProduct};
pub use search::{
    categories, list_products, search, search_cmd, CategoryCount, CategoryList,
    ListProductsRequest, MatchKind, ProductListPage, SearchHit, SearchPage, SearchRequest,
    SEARCH_OFFSET_MAX,
};
