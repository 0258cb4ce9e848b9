// The Quick keys screen against a fake core: a page is added, a product
// placed from the search, a tile coloured and moved — each one command with
// the version the screen read.
import { fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { describe, expect, it } from "vitest";
import type { QuickKeyTile } from "../src/generated/QuickKeyTile";
import { labelChange, QuickKeys } from "../src/screens/QuickKeys";
import { setApp } from "../src/session";
import { fakeCore, OWNER_SESSION, ROLES, SHOP } from "./fake";

const tile = (id: number, sku: string, position: number) => ({
  id, version: 3, position, product_id: id, sku, barcode: null, name: sku, label: null, colour: "grey", image: null, price_minor: 100, archived: false,
});

describe("Quick keys screen", () => {
  it("adds a page, places a product and sends colour and moves with the tile's version", async () => {
    setApp({ phase: "app", session: { ...OWNER_SESSION }, roles: ROLES, shop: SHOP, shopName: SHOP.name });
    let pages = [{ id: 1, name: "Favourites", kind: "favourites", category: null, position: 1, archived: false, version: 1, tiles: [tile(7, "LATTE", 1), tile(8, "FLAT", 2)] }];
    const { calls } = fakeCore({
      "catalog.key_pages": () => ({ pages }),
      "catalog.categories": () => ({ categories: [{ category: "Dairy", products: 2 }] }),
      "catalog.create_key_page": (a) => {
        const p = { id: 2, name: String(a.name), kind: "tiles", category: null, position: 2, archived: false, version: 1, tiles: [] };
        pages = [...pages, p];
        return p;
      },
      "catalog.search": () => ({
        items: [{ match: "name_prefix", product: { id: 9, sku: "BRIE", barcode: null, name: "Brie", category: "Dairy", unit: "each", tax_class: "standard", tax_rate_bp: 0, price_minor: 450, archived: false, on_hand: 1, available: 1, version: 1, created_at_ms: 0, updated_at_ms: 0 } }],
        next_offset: null,
      }),
      "catalog.place_tile": () => tile(9, "BRIE", 1),
      "catalog.update_tile": () => tile(8, "FLAT", 1),
    });
    render(() => <QuickKeys />);
    await screen.findByTestId("qk-tile-LATTE");
    fireEvent.click(screen.getByTestId("qk-colour-FLAT-teal"));
    fireEvent.click(screen.getByTestId("qk-up-FLAT"));
    await waitFor(() => expect(calls.filter((c) => c.cmd === "catalog.update_tile")).toHaveLength(2));
    const updates = calls.filter((c) => c.cmd === "catalog.update_tile").map((c) => c.args);
    expect(updates).toContainEqual({ id: 8, version: 3, colour: "teal" });
    expect(updates).toContainEqual({ id: 8, version: 3, position: 1 });

    fireEvent.input(screen.getByTestId("qk-new-name"), { target: { value: "Cheese" } });
    fireEvent.submit(screen.getByTestId("qk-new-page"));
    await screen.findByText("Page “Cheese” added.");
    await waitFor(() => expect(screen.getByTestId("qk-page-detail").getAttribute("data-page-id")).toBe("2"));
    fireEvent.input(screen.getByTestId("qk-product-search"), { target: { value: "bri" } });
    fireEvent.click(await screen.findByTestId("qk-pick-BRIE"));
    await waitFor(() => expect(calls.some((c) => c.cmd === "catalog.place_tile")).toBe(true));
    const placed = calls.find((c) => c.cmd === "catalog.place_tile")!.args;
    expect(placed).toMatchObject({ page_id: 2, product_id: 9 });
    expect(String(placed.idempotency_key)).toMatch(/^ui-/);
  });

  it("renames a tile and moves it by dragging, each one command with the tile's version", async () => {
    setApp({ phase: "app", session: { ...OWNER_SESSION }, roles: ROLES, shop: SHOP, shopName: SHOP.name });
    const pages = [{ id: 1, name: "Favourites", kind: "favourites", category: null, position: 1, archived: false, version: 1, tiles: [tile(7, "LATTE", 1), tile(8, "FLAT", 2), tile(9, "MOCHA", 3)] }];
    const { calls } = fakeCore({
      "catalog.key_pages": () => ({ pages }),
      "catalog.categories": () => ({ categories: [] }),
      "catalog.update_tile": (a) => ({ ...tile(Number(a.id), "X", 1), label: a.label ?? null }),
    });
    render(() => <QuickKeys />);
    const label = (await screen.findByTestId("qk-label-FLAT")) as HTMLInputElement;
    expect(label.placeholder).toBe("FLAT");
    // The same words again send nothing; new words send the label.
    fireEvent.change(label, { target: { value: "  " } });
    fireEvent.change(label, { target: { value: "Flat white" } });
    await waitFor(() => expect(calls.filter((c) => c.cmd === "catalog.update_tile")).toHaveLength(1));
    expect(calls.find((c) => c.cmd === "catalog.update_tile")!.args).toEqual({ id: 8, version: 3, label: "Flat white" });
    // Mocha dropped on Latte takes Latte's place.
    fireEvent.dragStart(screen.getByTestId("qk-tile-MOCHA"));
    fireEvent.dragOver(screen.getByTestId("qk-tile-LATTE"));
    fireEvent.drop(screen.getByTestId("qk-tile-LATTE"));
    await waitFor(() => expect(calls.filter((c) => c.cmd === "catalog.update_tile")).toHaveLength(2));
    expect(calls.filter((c) => c.cmd === "catalog.update_tile")[1]!.args).toEqual({ id: 9, version: 3, position: 1 });
  });
});

describe("a tile's label", () => {
  it("is sent only when it changed, trimmed, and empty brings the name back", () => {
    const t = { ...tile(1, "LATTE", 1), label: "Latte" } as unknown as QuickKeyTile;
    expect(labelChange(t, "Latte ")).toBeNull();
    expect(labelChange(t, "Big latte")).toBe("Big latte");
    expect(labelChange(t, "")).toBe("");
    expect(labelChange({ ...t, label: null }, " ")).toBeNull();
  });
});
