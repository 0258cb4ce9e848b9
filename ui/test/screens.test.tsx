import { fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { beforeEach, describe, expect, it } from "vitest";
import { ErrorBanner } from "../src/components/ErrorBanner";
import { Count, countScanForm, counting, setCounting } from "../src/screens/Count";
import { productForm, Products, products, setProducts } from "../src/screens/Products";
import { setApp } from "../src/session";
import { CoreError, fakeCore, OWNER_SESSION, ROLES, SHOP } from "./fake";

const MILK = {
  id: 1, sku: "MILK-1L", barcode: "4006381333931", name: "Milk 1 l", category: "Dairy", unit: "each", tax_class: "standard",
  tax_rate_bp: 2000, price_minor: 129, archived: false, on_hand: 0, available: 0, version: 1, created_at_ms: 0, updated_at_ms: 0,
};

function signInAsOwner() {
  setApp({ phase: "app", session: { ...OWNER_SESSION }, roles: ROLES, shop: SHOP });
}

describe("Products", () => {
  beforeEach(() => {
    productForm.reset();
    setProducts({ query: "", hits: [], selected: null, rules: [], dialog: { kind: "none" } });
  });

  it("searches as you type and opens an exact barcode on Enter", async () => {
    signInAsOwner();
    const { calls } = fakeCore({
      "catalog.search": (a) => ({
        items: [{ match: a.query === MILK.barcode ? "barcode" : "name_prefix", product: MILK }],
        next_offset: null,
      }),
      "catalog.price_rules": () => [],
    });
    render(() => <Products />);
    const box = (await screen.findByTestId("products-search")) as HTMLInputElement;
    fireEvent.input(box, { target: { value: "mil" } });
    await screen.findByTestId("product-row-MILK-1L");
    expect(screen.queryByTestId("product-detail")).toBeNull(); // a name prefix does not open it
    fireEvent.input(box, { target: { value: MILK.barcode } });
    fireEvent.submit(box.closest("form")!);
    await screen.findByTestId("product-detail");
    expect(products.selected?.id).toBe(1);
    expect(calls.filter((c) => c.cmd === "catalog.search").map((c) => c.args.query)).toContain("mil");
  });

  it("creates with a fresh idempotency key, shows a duplicate beside the field and keeps the input (T23)", async () => {
    signInAsOwner();
    let n = 0;
    const { calls } = fakeCore({
      "catalog.create_product": () => {
        n++;
        if (n === 1) throw new CoreError("duplicate", "sku: already in use", { field: "sku", value: "MILK-1L" });
        return { ...MILK, sku: "MILK-2L" };
      },
      "catalog.search": () => ({ items: [], next_offset: null }),
      "catalog.price_rules": () => [],
    });
    render(() => (
      <>
        <ErrorBanner />
        <Products />
      </>
    ));
    fireEvent.click(await screen.findByTestId("products-create"));
    fireEvent.input(await screen.findByTestId("product-sku"), { target: { value: "MILK-1L" } });
    fireEvent.input(screen.getByTestId("product-name"), { target: { value: "Milk 2 l" } });
    fireEvent.input(screen.getByTestId("product-price"), { target: { value: "2.10" } });
    fireEvent.submit(screen.getByTestId("product-form"));
    expect((await screen.findByTestId("field-error-sku")).textContent).toBe("already in use");
    expect((screen.getByTestId("product-name") as HTMLInputElement).value).toBe("Milk 2 l");
    expect(screen.queryByTestId("error-banner")).toBeNull();

    // A bad price is refused beside the field before the core is asked.
    fireEvent.input(screen.getByTestId("product-price"), { target: { value: "2.105" } });
    fireEvent.submit(screen.getByTestId("product-form"));
    await screen.findByTestId("field-error-price");
    expect(calls.filter((c) => c.cmd === "catalog.create_product")).toHaveLength(1);

    fireEvent.input(screen.getByTestId("product-price"), { target: { value: "2.10" } });
    fireEvent.input(screen.getByTestId("product-sku"), { target: { value: "MILK-2L" } });
    fireEvent.submit(screen.getByTestId("product-form"));
    await waitFor(() => expect(screen.queryByTestId("product-create-dialog")).toBeNull());
    const creates = calls.filter((c) => c.cmd === "catalog.create_product");
    expect(creates[1].args).toMatchObject({ sku: "MILK-2L", name: "Milk 2 l", price_minor: 210 });
    // A retry of the same attempt reuses its key (T09); the next create gets a new one.
    expect(creates[0].args.idempotency_key).toBe(creates[1].args.idempotency_key);
    expect(String(creates[1].args.idempotency_key)).toMatch(/^ui-/);
  });
});

describe("Stock count", () => {
  beforeEach(() => {
    countScanForm.reset();
    setCounting({ count: null, lines: null, reviewedVersion: null, last: null });
  });

  it("opens, records by barcode, reviews and posts the version reviewed", async () => {
    signInAsOwner();
    const count = { id: 4, number: 1, status: "open", note: "", opened_at_ms: 0, posted_at_ms: null, version: 1 };
    const line = { batch_id: 9, product_id: 1, sku: "MILK-1L", name: "Milk 1 l", lot_code: "L1", counted: 8, expected: 10, variance: -2, movement_id: null };
    const { calls } = fakeCore({
      "stock.count_open": () => count,
      "stock.count_record": () => line,
      "stock.count_review": () => ({ count: { ...count, version: 2 }, lines: [line] }),
      "stock.count_post": () => ({ count: { ...count, version: 3, status: "posted", posted_at_ms: 5 }, lines: [{ ...line, movement_id: 77 }] }),
    });
    render(() => <Count />);
    fireEvent.click(await screen.findByTestId("count-open"));
    fireEvent.input(await screen.findByTestId("count-barcode"), { target: { value: MILK.barcode } });
    fireEvent.input(screen.getByTestId("count-counted"), { target: { value: "8" } });
    fireEvent.submit(screen.getByTestId("count-scan-form"));
    expect((await screen.findByTestId("count-last")).textContent).toContain("variance -2");
    expect((screen.getByTestId("count-post") as HTMLButtonElement).disabled).toBe(true); // review first
    fireEvent.click(screen.getByTestId("count-review"));
    expect((await screen.findByTestId("count-variance-9")).textContent).toBe("-2");
    fireEvent.click(screen.getByTestId("count-post"));
    await waitFor(() => expect(counting.count?.status).toBe("posted"));
    expect(calls.find((c) => c.cmd === "stock.count_record")?.args).toEqual({ count_id: 4, barcode: MILK.barcode, counted: 8 });
    expect(calls.find((c) => c.cmd === "stock.count_post")?.args).toEqual({ count_id: 4, version: 2 });
    expect(screen.getByTestId("count-status").getAttribute("data-status")).toBe("posted");
  });
});
