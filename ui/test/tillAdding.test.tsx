// The till's adding-fast paths with the real screen and a fake core: the
// scanner heard from the receipt, an unknown code, `3*` then a tile.
import { fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { beforeEach, describe, expect, it } from "vitest";
import { Till } from "../src/screens/Till";
import { clearScanProblem } from "../src/screens/till/scanProblem";
import { setTill, tender } from "../src/screens/till/state";
import { setApp } from "../src/session";
import { fakeCore, OWNER_SESSION, ROLES, SHOP } from "./fake";

const MILK = {
  id: 1, sku: "MILK-1L", barcode: "4006381333931", name: "Milk 1 l", category: "", unit: "each", tax_class: "standard",
  tax_rate_bp: 2000, price_minor: 129, archived: false, on_hand: 10, available: 10, version: 1, created_at_ms: 0, updated_at_ms: 0,
  quantity_decimals: 0, track_stock: true, standard_cost_minor: null, plu: null,
};

function quote(args: Record<string, unknown>) {
  const lines = (args.lines as { product_id: number; quantity: number }[]).map((l, i) => ({
    line_no: i + 1, product_id: 1, sku: MILK.sku, name: MILK.name, quantity: l.quantity, list_price_minor: 129, unit_price_minor: 129,
    gross_minor: 129 * l.quantity, discount_minor: 0, tax_rate_bp: 2000, net_minor: 129 * l.quantity, tax_minor: 0,
    total_minor: 129 * l.quantity, rule_applied: null,
  }));
  const total = lines.reduce((n, l) => n + l.total_minor, 0);
  return { customer_id: null, prices_include_tax: false, lines, discount_minor: 0, net_minor: total, tax_minor: 0, total_minor: total };
}

const core = () =>
  fakeCore({
    "catalog.search": (a) => ({ items: a.query === MILK.barcode ? [{ match: "barcode", product: MILK }] : [], next_offset: null }),
    "sales.quote": quote,
    "catalog.get_product": () => MILK,
    "catalog.key_pages": () => ({
      pages: [
        {
          id: 1, name: "Favourites", kind: "favourites", category: null, position: 1, archived: false, version: 1,
          tiles: [{ id: 5, version: 1, position: 1, product_id: 1, sku: MILK.sku, barcode: MILK.barcode, name: MILK.name, label: "Milk", colour: "blue", image: null, price_minor: 129, archived: false }],
        },
      ],
    }),
  });

/** What a scanner does: every character, then Enter, within a few ms, to the focused element. */
function scannerTypes(target: Element, code: string) {
  for (const ch of code) fireEvent.keyDown(target, { key: ch });
  fireEvent.keyDown(target, { key: "Enter" });
}

describe("adding items fast", () => {
  beforeEach(() => {
    tender.close();
    clearScanProblem();
    setTill({ view: "cart", query: "", hits: [], lines: [], names: {}, quote: null, receipt: null, notice: null });
    setApp({ phase: "app", session: { ...OWNER_SESSION }, roles: ROLES, shop: SHOP, shopName: SHOP.name });
  });

  it("an unknown code is an error with the field empty, and the next scan goes in alone", async () => {
    core();
    render(() => <Till />);
    const box = (await screen.findByTestId("till-search")) as HTMLInputElement;
    scannerTypes(box, "5999999999999");
    const err = await screen.findByTestId("till-scan-error");
    expect(err.getAttribute("role")).toBe("alert");
    expect(err.className).toContain("scan-error");
    expect(box.value).toBe("");
    expect(screen.getByTestId("till-scan-add-product")).toBeTruthy();
    scannerTypes(box, MILK.barcode);
    await waitFor(() => expect(screen.getByTestId("cart-line-MILK-1L").getAttribute("data-quantity")).toBe("1"));
    expect(screen.queryByTestId("till-scan-error")).toBeNull();
  });

  it("a scan whose first key came slowly (a busy machine) keeps that key", async () => {
    core();
    render(() => <Till />);
    const box = (await screen.findByTestId("till-search")) as HTMLInputElement;
    // The first digit landed in the field on its own; the rest came as a burst.
    fireEvent.input(box, { target: { value: MILK.barcode.slice(0, 1) } });
    scannerTypes(box, MILK.barcode.slice(1));
    await waitFor(() => expect(screen.getByTestId("cart-line-MILK-1L").getAttribute("data-quantity")).toBe("1"));
    expect(box.value).toBe("");
  });

  it("3* typed, then a tile: three of it", async () => {
    core();
    render(() => <Till />);
    const box = (await screen.findByTestId("till-search")) as HTMLInputElement;
    fireEvent.input(box, { target: { value: "3*" } });
    fireEvent.click(await screen.findByTestId("grid-tile-MILK-1L"));
    await waitFor(() => expect(screen.getByTestId("cart-line-MILK-1L").getAttribute("data-quantity")).toBe("3"));
    expect(box.value).toBe("");
  });

  it("a scan on the receipt starts the next sale with the item, without pressing New sale's Enter", async () => {
    core();
    setTill({ view: "receipt", receipt: null });
    render(() => <Till />);
    // With no receipt shown the view is empty; focus is on the body, as after printing.
    scannerTypes(document.body, MILK.barcode);
    await waitFor(() => expect(screen.getByTestId("cart-line-MILK-1L").getAttribute("data-quantity")).toBe("1"));
  });
});
