import { fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { describe, expect, it, vi } from "vitest";
import { ErrorBanner } from "../src/components/ErrorBanner";
import { grantText, LoyaltyPanel } from "../src/components/LoyaltyPanel";
import { configureArgs, Loyalty, parseMultipliers, rewardArgs, showLoyaltyTab, showMultipliers } from "../src/screens/Loyalty";
import { setApp } from "../src/session";
import { CoreError, fakeCore, OWNER_SESSION, ROLES, SHOP } from "./fake";

function signInAsOwner() {
  setApp({ phase: "app", session: { ...OWNER_SESSION }, roles: ROLES, shop: SHOP });
}

const CONFIG = {
  points_per_unit: 1, point_value_minor: 1, min_spend_minor: 0, expiry_days: null, category_multipliers: [], excluded_product_ids: [],
  version: 1, updated_at_ms: 0,
};

const reward = (over: Record<string, unknown> = {}) => ({
  id: 3, name: "5 off", points_cost: 100, grant: { kind: "amount", amount_minor: 500 }, valid_from_ms: 0, valid_until_ms: null,
  stock_limit: null, per_customer_limit: 1, claimed: 0, remaining: null, archived: false, version: 1, created_at_ms: 0, ...over,
});

const balance = (points: number, over: Record<string, unknown> = {}) => ({
  customer_id: 7, points, point_value_minor: 1, value_minor: points, movements: [], open_claims: [], ...over,
});

const claim = { id: 11, reward_id: 3, reward_name: "5 off", customer_id: 7, points: 100, grant: { kind: "amount", amount_minor: 500 }, valid_until_ms: null, claimed_at_ms: 0, balance_after: 50, redeemed_order_id: null };

describe("Loyalty screen", () => {
  it("reads the rules exactly: multipliers in basis points, no floats", () => {
    expect(parseMultipliers("Dairy = 2\n\nTobacco: 0\nFruit = 1.25")).toEqual([
      { category: "Dairy", multiplier_bp: 20000 },
      { category: "Tobacco", multiplier_bp: 0 },
      { category: "Fruit", multiplier_bp: 12500 },
    ]);
    expect(showMultipliers([{ category: "Fruit", multiplier_bp: 12500 }, { category: "Dairy", multiplier_bp: 20000 }])).toBe("Fruit = 1.25\nDairy = 2");
    expect(() => parseMultipliers("Dairy twice")).toThrow(/Category = 1.5/);
    expect(
      configureArgs(4, { points_per_unit: "2", point_value: "0.01", min_spend: "", expiry_days: "365", multipliers: "", excluded: "5, #9" }),
    ).toEqual({ version: 4, points_per_unit: 2, point_value_minor: 1, min_spend_minor: 0, expiry_days: 365, category_multipliers: [], excluded_product_ids: [5, 9] });
    expect(rewardArgs({ name: "10%", points_cost: "200", kind: "percent", value: "12.5", valid_from: "", valid_until: "", stock_limit: "50", per_customer_limit: "1" })).toEqual({
      name: "10%", points_cost: 200, grant: { kind: "percent", percent_bp: 1250 }, stock_limit: 50, per_customer_limit: 1,
    });
    expect(grantText({ kind: "percent", percent_bp: 1250 })).toBe("12.50% off");
  });

  it("saves the rules at the version read", async () => {
    signInAsOwner();
    const { calls } = fakeCore({
      "loyalty.config": () => CONFIG,
      "loyalty.configure": (a) => ({ ...CONFIG, ...a, version: 2 }),
    });
    render(() => <Loyalty />);
    await waitFor(() => expect((screen.getByTestId("loyalty-rules-points_per_unit") as HTMLInputElement).value).toBe("1"));
    fireEvent.input(screen.getByTestId("loyalty-rules-points_per_unit"), { target: { value: "3" } });
    fireEvent.input(screen.getByTestId("loyalty-rules-multipliers"), { target: { value: "Dairy = 2" } });
    fireEvent.submit(screen.getByTestId("loyalty-rules-form"));
    await screen.findByTestId("loyalty-rules-saved");
    expect(calls.find((c) => c.cmd === "loyalty.configure")!.args).toMatchObject({
      version: 1, points_per_unit: 3, category_multipliers: [{ category: "Dairy", multiplier_bp: 20000 }],
    });
  });

  it("creates and archives rewards", async () => {
    signInAsOwner();
    let list = [reward()];
    const { calls } = fakeCore({
      "loyalty.config": () => CONFIG,
      "loyalty.rewards": () => ({ rewards: list }),
      // The free product is picked by name, never typed as an id.
      "catalog.search": () => ({ items: [{ match: "name", product: { id: 12, name: "Flat white", sku: "COF-1" } }], next_offset: null }),
      "loyalty.create_reward": (a) => {
        const r = reward({ id: 4, name: a.name, grant: a.grant });
        list = [...list, r];
        return r;
      },
      "loyalty.archive_reward": () => {
        list = list.map((r) => (r.id === 3 ? { ...r, archived: true } : r));
        return list[0];
      },
    });
    render(() => <Loyalty />);
    showLoyaltyTab("rewards");
    await screen.findByTestId("reward-row-3");
    fireEvent.input(screen.getByTestId("reward-name"), { target: { value: "Free coffee" } });
    fireEvent.input(screen.getByTestId("reward-points_cost"), { target: { value: "300" } });
    fireEvent.change(screen.getByTestId("reward-kind"), { target: { value: "product" } });
    fireEvent.input(await screen.findByTestId("reward-product-search"), { target: { value: "flat" } });
    fireEvent.click(await screen.findByTestId("reward-product-pick-12"));
    expect((await screen.findByTestId("reward-product-name")).textContent).toBe("Flat white");
    fireEvent.submit(screen.getByTestId("reward-form"));
    expect((await screen.findByTestId("reward-row-4")).getAttribute("data-name")).toBe("Free coffee");
    expect(calls.find((c) => c.cmd === "loyalty.create_reward")!.args).toMatchObject({ name: "Free coffee", points_cost: 300, grant: { kind: "product", product_id: 12 } });
    fireEvent.click(screen.getByTestId("reward-archive-3"));
    await waitFor(() => expect(screen.queryByTestId("reward-archive-3")).toBeNull());
    expect(calls.find((c) => c.cmd === "loyalty.archive_reward")!.args).toEqual({ id: 3, version: 1 });
  });

  it("adjusts a customer's points only with a reason, and shows the new balance", async () => {
    signInAsOwner();
    let points = 0;
    const { calls } = fakeCore({
      "loyalty.config": () => CONFIG,
      "customers.search": () => [{ id: 7, name: "Ana Lima", phone: null }],
      "loyalty.balance": () => balance(points, { movements: points ? [{ id: 1, customer_id: 7, seq: 1, kind: "adjust", points, balance_after: points, value_minor: points, expires_at_ms: null, order_id: null, refund_id: null, claim_id: null, reason: "goodwill", entry_id: 3, user_id: 1, created_at_ms: 0 }] : [] }),
      "loyalty.adjust": (a) => {
        points += a.points as number;
        return {};
      },
    });
    render(() => <Loyalty />);
    showLoyaltyTab("customer");
    fireEvent.input(await screen.findByTestId("loyalty-customer-search"), { target: { value: "an" } });
    fireEvent.click(await screen.findByTestId("loyalty-customer-pick-7"));
    expect((await screen.findByTestId("loyalty-points")).textContent).toBe("0");
    fireEvent.input(screen.getByTestId("adjust-points"), { target: { value: "50" } });
    fireEvent.submit(screen.getByTestId("adjust-form"));
    await screen.findByTestId("field-error-reason");
    expect(calls.some((c) => c.cmd === "loyalty.adjust")).toBe(false);
    fireEvent.input(screen.getByTestId("adjust-reason"), { target: { value: "goodwill" } });
    fireEvent.submit(screen.getByTestId("adjust-form"));
    await waitFor(() => expect(screen.getByTestId("loyalty-points").textContent).toBe("50"));
    expect(screen.getByTestId("loyalty-movement-1").getAttribute("data-kind")).toBe("adjust");
    expect(calls.find((c) => c.cmd === "loyalty.adjust")!.args).toMatchObject({ customer_id: 7, points: 50, reason: "goodwill" });
  });

  it("previews a bulk addition, then adds exactly what was previewed", async () => {
    signInAsOwner();
    let adds = 0;
    const { calls } = fakeCore({
      "loyalty.config": () => CONFIG,
      "loyalty.bulk_preview": (a) => ({
        customers: 2, points_each: a.points_each, total_points: 2 * (a.points_each as number), value_minor: 2 * (a.points_each as number),
        sample: [{ customer_id: 7, name: "Ana Lima", points: 10 }, { customer_id: 8, name: "Bo", points: 20 }],
      }),
      "loyalty.bulk_add": () => {
        adds++;
        if (adds === 1) throw new CoreError("busy", "busy");
        return { id: 1, customers: 2, points_each: 25, total_points: 50, entry_id: 9 };
      },
    });
    render(() => (
      <>
        <ErrorBanner />
        <Loyalty />
      </>
    ));
    showLoyaltyTab("bulk");
    fireEvent.input(await screen.findByTestId("bulk-min_points"), { target: { value: "5" } });
    fireEvent.input(screen.getByTestId("bulk-points_each"), { target: { value: "25" } });
    fireEvent.click(screen.getByTestId("bulk-preview"));
    expect((await screen.findByTestId("bulk-preview-customers")).textContent).toBe("2");
    expect(screen.getByTestId("bulk-sample-8")).toBeTruthy();
    expect(calls.some((c) => c.cmd === "loyalty.bulk_add")).toBe(false); // nothing added by a preview

    // The reason is mandatory.
    fireEvent.click(screen.getByTestId("bulk-add"));
    await screen.findByTestId("field-error-reason");
    fireEvent.input(screen.getByTestId("bulk-reason"), { target: { value: "store anniversary" } });
    fireEvent.click(screen.getByTestId("bulk-add"));
    await screen.findByTestId("error-banner");
    fireEvent.click(screen.getByTestId("bulk-add"));
    expect((await screen.findByTestId("bulk-added")).getAttribute("data-customers")).toBe("2");

    const sent = calls.filter((c) => c.cmd === "loyalty.bulk_add");
    expect(sent).toHaveLength(2);
    expect(sent[1].args).toMatchObject({ filter: { min_points: 5 }, points_each: 25, reason: "store anniversary", expected_customers: 2 });
    expect(sent[1].args.idempotency_key).toBe(sent[0].args.idempotency_key);
    expect(calls.find((c) => c.cmd === "loyalty.bulk_preview")!.args).toEqual({ filter: { min_points: 5 }, points_each: 25 });
  });

  it("shows the stats with an accessible SVG chart", async () => {
    signInAsOwner();
    fakeCore({
      "loyalty.config": () => CONFIG,
      "loyalty.stats": () => ({
        issued_points: 500, earned_points: 400, returned_points: 0, adjusted_in_points: 100, adjusted_out_points: 10, redeemed_points: 200,
        reversed_points: 5, expired_points: 0, outstanding_points: 285, point_value_minor: 1, liability_minor: 285, customers_with_points: 3,
        claims: 2, redeemed_claims: 1, top_customers: [{ customer_id: 7, name: "Ana Lima", points: 200 }],
      }),
    });
    render(() => <Loyalty />);
    showLoyaltyTab("stats");
    expect((await screen.findByTestId("stats-outstanding")).textContent).toBe("285");
    expect(screen.getByTestId("stats-liability").textContent).toBe("2.85");
    const svg = screen.getByTestId("loyalty-chart").querySelector("svg")!;
    expect(svg.getAttribute("role")).toBe("img");
    expect(svg.getAttribute("aria-label")).toContain("Earned 400");
    expect(screen.getByTestId("loyalty-chart-bar-0").getAttribute("data-value")).toBe("400");
    expect(screen.getByTestId("stats-top-7")).toBeTruthy();
  });
});

describe("LoyaltyPanel (till)", () => {
  it("shows the balance and rewards; a double-clicked Claim claims once and hands the claim to the till", async () => {
    signInAsOwner();
    let points = 150;
    let release: () => void = () => {};
    const { calls } = fakeCore({
      "loyalty.balance": () => balance(points),
      "loyalty.rewards": () => ({ rewards: [reward(), reward({ id: 4, name: "Big", points_cost: 1000 })] }),
      "loyalty.claim": () =>
        new Promise((r) => {
          release = () => {
            points = 50;
            r(claim);
          };
        }),
    });
    const onClaimed = vi.fn();
    render(() => <LoyaltyPanel customerId={7} onClaimed={onClaimed} />);
    expect((await screen.findByTestId("loyalty-panel-balance")).getAttribute("data-points")).toBe("150");
    expect((screen.getByTestId("loyalty-panel-claim-4") as HTMLButtonElement).disabled).toBe(true); // not enough points
    const btn = screen.getByTestId("loyalty-panel-claim-3") as HTMLButtonElement;
    fireEvent.click(btn);
    fireEvent.click(btn);
    await waitFor(() => expect(btn.disabled).toBe(true));
    release();
    await screen.findByTestId("loyalty-panel-claimed");
    expect(onClaimed).toHaveBeenCalledTimes(1);
    expect(onClaimed.mock.calls[0][0]).toMatchObject({ id: 11, grant: { kind: "amount", amount_minor: 500 } });
    const claims = calls.filter((c) => c.cmd === "loyalty.claim");
    expect(claims).toHaveLength(1);
    expect(claims[0].args).toMatchObject({ customer_id: 7, reward_id: 3 });
    await waitFor(() => expect(screen.getByTestId("loyalty-panel-balance").getAttribute("data-points")).toBe("50"));
  });

  it("retries a failed claim with the same key; the next claim gets a new one", async () => {
    signInAsOwner();
    let n = 0;
    const { calls } = fakeCore({
      "loyalty.balance": () => balance(500),
      "loyalty.rewards": () => ({ rewards: [reward({ per_customer_limit: null })] }),
      "loyalty.claim": () => {
        n++;
        if (n === 1) throw new CoreError("busy", "busy");
        return { ...claim, id: 10 + n };
      },
    });
    const onClaimed = vi.fn();
    render(() => (
      <>
        <ErrorBanner />
        <LoyaltyPanel customerId={7} onClaimed={onClaimed} />
      </>
    ));
    await screen.findByTestId("loyalty-panel-balance");
    fireEvent.click(screen.getByTestId("loyalty-panel-claim-3"));
    await screen.findByTestId("error-banner");
    expect(onClaimed).not.toHaveBeenCalled();
    fireEvent.click(screen.getByTestId("loyalty-panel-claim-3"));
    await waitFor(() => expect(onClaimed).toHaveBeenCalledTimes(1));
    await waitFor(() => expect((screen.getByTestId("loyalty-panel-claim-3") as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(screen.getByTestId("loyalty-panel-claim-3"));
    await waitFor(() => expect(onClaimed).toHaveBeenCalledTimes(2));
    const keys = calls.filter((c) => c.cmd === "loyalty.claim").map((c) => c.args.idempotency_key);
    expect(keys[0]).toBe(keys[1]);
    expect(keys[2]).not.toBe(keys[1]);
  });

  it("hides Claim from a session without sales.sell (the core would refuse it anyway)", async () => {
    setApp({ phase: "app", session: { ...OWNER_SESSION, role: "cashier" }, roles: [{ role: "cashier", permissions: ["customers.manage"] }], shop: SHOP });
    fakeCore({
      "loyalty.balance": () => balance(500),
      "loyalty.rewards": () => ({ rewards: [reward()] }),
    });
    render(() => <LoyaltyPanel customerId={7} />);
    await screen.findByTestId("loyalty-panel-reward-3");
    expect(screen.queryByTestId("loyalty-panel-claim-3")).toBeNull();
  });

  it("offers the customer's open claims to apply again", async () => {
    signInAsOwner();
    fakeCore({
      "loyalty.balance": () => balance(50, { open_claims: [claim] }),
      "loyalty.rewards": () => ({ rewards: [] }),
    });
    const onClaimed = vi.fn();
    render(() => <LoyaltyPanel customerId={7} onClaimed={onClaimed} />);
    fireEvent.click(await screen.findByTestId("loyalty-panel-apply-11"));
    expect(onClaimed).toHaveBeenCalledWith(expect.objectContaining({ id: 11 }));
  });
});
