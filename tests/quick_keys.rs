//! Adding items fast (issue 12): quick key pages and tiles (ordered, limited,
//! versioned, one transaction each: T05, T11), tiles of archived products
//! hidden at the till, category pages; search by any word prefix of name, SKU
//! or barcode; the catalogue as a paged list by category.

use crate::support::checks::{code, expect_validation, scalar, version_of};
use crate::support::faults::sweep_faults;
use crate::support::fixtures::{no_idle_lock, submit, Product};
use crate::support::{key, Shop};
use serde_json::{json, Value};
use tillbook_core::Session;

fn product(shop: &Shop, s: &mut Option<Session>, sku: &str, name: &str, category: &str) -> i64 {
    Product::new(sku, 250)
        .name(name)
        .with("category", json!(category))
        .create(shop, s)
}

fn pages(shop: &Shop, s: &mut Option<Session>, hidden: bool) -> Vec<Value> {
    shop.call(s, "catalog.key_pages", json!({ "include_hidden": hidden }))
        .unwrap()["pages"]
        .as_array()
        .unwrap()
        .clone()
}

fn page_named(shop: &Shop, s: &mut Option<Session>, name: &str) -> Value {
    pages(shop, s, true)
        .into_iter()
        .find(|p| p["name"] == name)
        .unwrap()
}

fn skus(page: &Value) -> Vec<String> {
    page["tiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["sku"].as_str().unwrap().to_string())
        .collect()
}

fn place(shop: &Shop, s: &mut Option<Session>, page_id: i64, product_id: i64) -> Value {
    submit(
        shop,
        s,
        "catalog.place_tile",
        json!({ "page_id": page_id, "product_id": product_id }),
    )
    .unwrap()
}

#[test]
fn quick_keys_favourites_first_tiles_in_order_and_archived_products_hidden() {
    let (shop, mut owner) = Shop::with_owner();
    let milk = product(&shop, &mut owner, "MILK", "Semi-skimmed milk", "Dairy");
    let brie = product(&shop, &mut owner, "BRIE", "Brie", "Dairy");
    let latte = product(&shop, &mut owner, "LATTE", "Latte", "Coffee");
    let flat = product(&shop, &mut owner, "FLAT", "Flat white", "Coffee");

    // A new till already has its favourites page, first.
    let first = pages(&shop, &mut owner, false);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["kind"], "favourites");
    let fav = first[0]["id"].as_i64().unwrap();

    let coffee = submit(
        &shop,
        &mut owner,
        "catalog.create_key_page",
        json!({ "name": "Coffee" }),
    )
    .unwrap();
    let coffee_id = coffee["id"].as_i64().unwrap();
    assert_eq!(coffee["position"], 2);
    let dairy = submit(
        &shop,
        &mut owner,
        "catalog.create_key_page",
        json!({ "name": "Dairy", "category": "Dairy" }),
    )
    .unwrap();
    assert_eq!(dairy["kind"], "category");

    place(&shop, &mut owner, coffee_id, latte);
    let flat_tile = submit(
        &shop,
        &mut owner,
        "catalog.place_tile",
        json!({ "page_id": coffee_id, "product_id": flat, "position": 1, "colour": "teal", "label": "Flat W" }),
    )
    .unwrap();
    assert_eq!(flat_tile["position"], 1);
    assert_eq!(flat_tile["colour"], "teal");
    place(&shop, &mut owner, fav, milk);
    assert_eq!(
        skus(&page_named(&shop, &mut owner, "Coffee")),
        ["FLAT", "LATTE"]
    );

    // A category page is its category's active products, by name; no tiles go on it.
    assert_eq!(
        skus(&page_named(&shop, &mut owner, "Dairy")),
        ["BRIE", "MILK"]
    );
    let r = submit(
        &shop,
        &mut owner,
        "catalog.place_tile",
        json!({ "page_id": dairy["id"], "product_id": brie }),
    );
    expect_validation(r, "page_id", "a tile on a category page");
    // A product is on a page once.
    let r = submit(
        &shop,
        &mut owner,
        "catalog.place_tile",
        json!({ "page_id": coffee_id, "product_id": latte }),
    );
    assert_eq!(code(&r), "duplicate");

    // Move the latte first, recolour it; the flat white follows.
    let latte_tile = page_named(&shop, &mut owner, "Coffee")["tiles"][1].clone();
    let moved = shop
        .call(
            &mut owner,
            "catalog.update_tile",
            json!({ "id": latte_tile["id"], "version": latte_tile["version"], "position": 1, "colour": "brown" }),
        )
        .unwrap();
    assert_eq!(moved["position"], 1);
    assert_eq!(moved["colour"], "brown");
    assert_eq!(
        skus(&page_named(&shop, &mut owner, "Coffee")),
        ["LATTE", "FLAT"]
    );

    // Pages reorder behind favourites, which stays first.
    let dairy_now = page_named(&shop, &mut owner, "Dairy");
    shop.call(
        &mut owner,
        "catalog.move_key_page",
        json!({ "id": dairy_now["id"], "version": dairy_now["version"], "position": 2 }),
    )
    .unwrap();
    let names: Vec<Value> = pages(&shop, &mut owner, false)
        .iter()
        .map(|p| p["name"].clone())
        .collect();
    assert_eq!(
        names,
        [json!("Favourites"), json!("Dairy"), json!("Coffee")]
    );
    let fav_page = page_named(&shop, &mut owner, "Favourites");
    let r = shop.call(
        &mut owner,
        "catalog.move_key_page",
        json!({ "id": fav, "version": fav_page["version"], "position": 3 }),
    );
    expect_validation(r, "id", "favourites moved");
    let r = shop.call(
        &mut owner,
        "catalog.archive_key_page",
        json!({ "id": fav, "version": fav_page["version"] }),
    );
    expect_validation(r, "id", "favourites archived");

    // An archived product's tile is hidden at the till, shown (marked) when arranging.
    shop.call(
        &mut owner,
        "catalog.archive_product",
        json!({ "id": flat, "version": version_of(&shop.db, "products", flat) }),
    )
    .unwrap();
    let till_view = pages(&shop, &mut owner, false);
    let coffee_till = till_view.iter().find(|p| p["name"] == "Coffee").unwrap();
    assert_eq!(skus(coffee_till), ["LATTE"]);
    let arranging = page_named(&shop, &mut owner, "Coffee");
    assert_eq!(arranging["tiles"][1]["archived"], true);
    // Nor can an archived product be placed.
    let r = submit(
        &shop,
        &mut owner,
        "catalog.place_tile",
        json!({ "page_id": fav, "product_id": flat }),
    );
    assert_eq!(code(&r), "conflict");

    // Removing a tile closes the gap; the product stays.
    let latte_tile = page_named(&shop, &mut owner, "Coffee")["tiles"][0].clone();
    shop.call(
        &mut owner,
        "catalog.remove_tile",
        json!({ "id": latte_tile["id"], "version": latte_tile["version"] }),
    )
    .unwrap();
    let after = page_named(&shop, &mut owner, "Coffee");
    assert_eq!(skus(&after), ["FLAT"]);
    assert_eq!(after["tiles"][0]["position"], 1);

    // Archiving a page takes it off the till and closes the tab gap.
    let dairy_now = page_named(&shop, &mut owner, "Dairy");
    shop.call(
        &mut owner,
        "catalog.archive_key_page",
        json!({ "id": dairy_now["id"], "version": dairy_now["version"] }),
    )
    .unwrap();
    let live = pages(&shop, &mut owner, false);
    assert_eq!(live.len(), 2);
    assert_eq!(live[1]["name"], "Coffee");
    assert_eq!(live[1]["position"], 2);
}

#[test]
fn quick_keys_hold_at_most_20_pages_and_48_tiles_a_page() {
    let (shop, mut owner) = Shop::with_owner();
    no_idle_lock(&shop, &mut owner);
    for i in 2..=20 {
        submit(
            &shop,
            &mut owner,
            "catalog.create_key_page",
            json!({ "name": format!("Page {i}") }),
        )
        .unwrap();
    }
    let r = submit(
        &shop,
        &mut owner,
        "catalog.create_key_page",
        json!({ "name": "One too many" }),
    );
    expect_validation(r, "name", "a 21st page");
    let fav = pages(&shop, &mut owner, false)[0]["id"].as_i64().unwrap();
    for i in 0..48 {
        let p = product(
            &shop,
            &mut owner,
            &format!("T{i}"),
            &format!("Tile {i}"),
            "",
        );
        place(&shop, &mut owner, fav, p);
    }
    let extra = product(&shop, &mut owner, "T48", "Tile 48", "");
    let r = submit(
        &shop,
        &mut owner,
        "catalog.place_tile",
        json!({ "page_id": fav, "product_id": extra }),
    );
    expect_validation(r, "page_id", "a 49th tile");
    // The schema holds the same limit around the core.
    let raw = shop.db.write(|tx| {
        Ok(tx.execute(
            "INSERT INTO quick_key_tiles (page_id, product_id, position, created_at_ms, updated_at_ms)
             VALUES (?1, ?2, 1, 0, 0)",
            [fav, extra],
        )?)
    });
    assert!(raw.is_err(), "the trigger let a 49th tile in");
}

#[test]
fn t11_quick_key_edits_need_the_version_read_and_cashiers_only_read_them() {
    let (shop, mut owner) = Shop::with_owner();
    let latte = product(&shop, &mut owner, "LATTE", "Latte", "Coffee");
    let page = submit(
        &shop,
        &mut owner,
        "catalog.create_key_page",
        json!({ "name": "Coffee" }),
    )
    .unwrap();
    let tile = place(&shop, &mut owner, page["id"].as_i64().unwrap(), latte);
    shop.call(
        &mut owner,
        "catalog.rename_key_page",
        json!({ "id": page["id"], "version": 1, "name": "Hot drinks" }),
    )
    .unwrap();
    let stale = shop.call(
        &mut owner,
        "catalog.rename_key_page",
        json!({ "id": page["id"], "version": 1, "name": "Drinks" }),
    );
    assert_eq!(code(&stale), "conflict");
    shop.call(
        &mut owner,
        "catalog.update_tile",
        json!({ "id": tile["id"], "version": 1, "label": "Latte L" }),
    )
    .unwrap();
    let stale = shop.call(
        &mut owner,
        "catalog.remove_tile",
        json!({ "id": tile["id"], "version": 1 }),
    );
    assert_eq!(code(&stale), "conflict");
    assert_eq!(scalar(&shop.db, "SELECT count(*) FROM quick_key_tiles"), 1);

    let mut cashier = shop.session_as(&mut owner, "cashier");
    let seen = pages(&shop, &mut cashier, false);
    assert_eq!(seen[1]["name"], "Hot drinks");
    assert_eq!(seen[1]["tiles"][0]["label"], "Latte L");
    let r = submit(
        &shop,
        &mut cashier,
        "catalog.create_key_page",
        json!({ "name": "Mine" }),
    );
    assert_eq!(code(&r), "forbidden");

    // Bad inputs are refused naming the field.
    let r = submit(
        &shop,
        &mut owner,
        "catalog.place_tile",
        json!({ "page_id": page["id"], "product_id": latte, "image": "data:image/svg+xml;base64,PHN2Zz4=" }),
    );
    expect_validation(r, "image", "an SVG picture");
    let r = submit(
        &shop,
        &mut owner,
        "catalog.place_tile",
        json!({ "page_id": page["id"], "product_id": latte, "colour": "neon" }),
    );
    assert_eq!(code(&r), "validation");
    let r = submit(
        &shop,
        &mut owner,
        "catalog.create_key_page",
        json!({ "name": "x".repeat(41) }),
    );
    expect_validation(r, "name", "a long page name");
}

#[test]
fn t05_quick_key_writes_are_atomic_under_injected_failure() {
    let (shop, mut owner) = Shop::with_owner();
    no_idle_lock(&shop, &mut owner);
    let a = product(&shop, &mut owner, "A", "Alpha", "");
    let b = product(&shop, &mut owner, "B", "Beta", "");
    let c = product(&shop, &mut owner, "C", "Gamma", "");
    let mut n = 0;
    let s = sweep_faults(&shop, &mut owner, "catalog.create_key_page", || {
        n += 1;
        json!({ "idempotency_key": key(), "name": format!("Swept {n}") })
    });
    assert!(s.statements >= 1);
    // The sweep's last attempt went through: one page besides favourites.
    let live = pages(&shop, &mut owner, false);
    assert_eq!(live.len(), 2);
    let page = live[1]["id"].as_i64().unwrap();
    let second = submit(
        &shop,
        &mut owner,
        "catalog.create_key_page",
        json!({ "name": "Second" }),
    )
    .unwrap()["id"]
        .as_i64()
        .unwrap();
    sweep_faults(
        &shop,
        &mut owner,
        "catalog.rename_key_page",
        || json!({ "id": page, "version": version_of(&shop.db, "quick_key_pages", page), "name": "Renamed" }),
    );
    let s = sweep_faults(
        &shop,
        &mut owner,
        "catalog.move_key_page",
        || json!({ "id": second, "version": version_of(&shop.db, "quick_key_pages", second), "position": 2 }),
    );
    assert!(
        s.statements >= 2,
        "the move renumbers in the same transaction"
    );
    place(&shop, &mut owner, page, a);
    place(&shop, &mut owner, page, b);
    let s = sweep_faults(
        &shop,
        &mut owner,
        "catalog.place_tile",
        || json!({ "idempotency_key": key(), "page_id": page, "product_id": c, "position": 1 }),
    );
    assert!(s.statements >= 3, "placing first shifts the others");
    let tile_of = |sku: &str| {
        scalar(
            &shop.db,
            &format!("SELECT t.id FROM quick_key_tiles t JOIN products p ON p.id = t.product_id WHERE p.sku = '{sku}'"),
        )
    };
    let tb = tile_of("B");
    sweep_faults(
        &shop,
        &mut owner,
        "catalog.update_tile",
        || json!({ "id": tb, "version": version_of(&shop.db, "quick_key_tiles", tb), "position": 1, "colour": "red" }),
    );
    let tc = tile_of("C");
    sweep_faults(
        &shop,
        &mut owner,
        "catalog.remove_tile",
        || json!({ "id": tc, "version": version_of(&shop.db, "quick_key_tiles", tc) }),
    );
    sweep_faults(
        &shop,
        &mut owner,
        "catalog.archive_key_page",
        || json!({ "id": second, "version": version_of(&shop.db, "quick_key_pages", second) }),
    );
}

fn hit_skus(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["product"]["sku"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn search_finds_by_any_word_prefix_of_name_sku_or_barcode() {
    let (shop, mut owner) = Shop::with_owner();
    Product::new("DAI-MILK-1L", 129)
        .name("Semi-skimmed milk")
        .with("barcode", json!("5000112637922"))
        .create(&shop, &mut owner);
    Product::new("BAK-SOUR", 350)
        .name("Sourdough loaf")
        .create(&shop, &mut owner);
    let q = |s: &mut Option<Session>, text: &str| {
        shop.call(s, "catalog.search", json!({ "query": text }))
            .unwrap()
    };
    // One letter of a later word.
    assert_eq!(hit_skus(&q(&mut owner, "m")), ["DAI-MILK-1L"]);
    // Words in any order, each a prefix.
    assert_eq!(hit_skus(&q(&mut owner, "milk semi")), ["DAI-MILK-1L"]);
    assert_eq!(hit_skus(&q(&mut owner, "sk mi")), ["DAI-MILK-1L"]);
    // A word of the SKU, the barcode's first digits.
    assert_eq!(hit_skus(&q(&mut owner, "sour")), ["BAK-SOUR"]);
    assert_eq!(hit_skus(&q(&mut owner, "50001126")), ["DAI-MILK-1L"]);
    // Every word must match.
    assert!(hit_skus(&q(&mut owner, "milk loaf")).is_empty());
    // The exact barcode is still the first tier.
    let r = q(&mut owner, "5000112637922");
    assert_eq!(r["items"][0]["match"], "barcode");
    assert_eq!(r["items"].as_array().unwrap().len(), 1);
    // A changed barcode reaches the index.
    let id = scalar(
        &shop.db,
        "SELECT id FROM products WHERE sku = 'DAI-MILK-1L'",
    );
    shop.call(
        &mut owner,
        "catalog.update_product",
        json!({ "id": id, "version": 1, "barcode": "4006381333931" }),
    )
    .unwrap();
    assert!(hit_skus(&q(&mut owner, "50001126")).is_empty());
    assert_eq!(hit_skus(&q(&mut owner, "400638")), ["DAI-MILK-1L"]);
}

#[test]
fn products_list_pages_by_name_and_filters_by_category() {
    let (shop, mut owner) = Shop::with_owner();
    no_idle_lock(&shop, &mut owner);
    for (sku, name, cat) in [
        ("P1", "Cheddar", "Cheese"),
        ("P2", "apple", "Fruit"),
        ("P3", "Brie", "Cheese"),
        ("P4", "Banana", "Fruit"),
        ("P5", "Bag", ""),
    ] {
        product(&shop, &mut owner, sku, name, cat);
    }
    let list =
        |s: &mut Option<Session>, args: Value| shop.call(s, "catalog.list_products", args).unwrap();
    let names = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_string())
            .collect()
    };
    let p1 = list(&mut owner, json!({ "limit": 2 }));
    assert_eq!(names(&p1), ["apple", "Bag"]);
    let p2 = list(
        &mut owner,
        json!({ "limit": 2, "after_id": p1["next_after_id"] }),
    );
    assert_eq!(names(&p2), ["Banana", "Brie"]);
    let p3 = list(
        &mut owner,
        json!({ "limit": 2, "after_id": p2["next_after_id"] }),
    );
    assert_eq!(names(&p3), ["Cheddar"]);
    assert_eq!(p3["next_after_id"], Value::Null);
    let cheese = list(&mut owner, json!({ "category": "cheese" }));
    assert_eq!(names(&cheese), ["Brie", "Cheddar"]);
    let none = list(&mut owner, json!({ "category": "" }));
    assert_eq!(names(&none), ["Bag"]);
    let cats = shop
        .call(&mut owner, "catalog.categories", json!({}))
        .unwrap();
    assert_eq!(
        cats["categories"],
        json!([
            { "category": "", "products": 1 },
            { "category": "Cheese", "products": 2 },
            { "category": "Fruit", "products": 2 },
        ])
    );
    let r = shop.call(&mut owner, "catalog.list_products", json!({ "limit": 0 }));
    expect_validation(r, "limit", "a zero page");
}
