import { fireEvent, render, screen } from "@solidjs/testing-library";
import { describe, expect, it } from "vitest";
import { TillbookError } from "../src/api";
import { ApprovalDialog, isApprovable, withApproval } from "../src/components/Approval";
import type { Approval } from "../src/generated/Approval";
import { approvalFrom, basketText, formatPercent, parseBasketDiscount, parseLineDiscount, parsePercentBp, quickCash } from "../src/logic/paying";

const GBP_NOTES = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

describe("quick cash", () => {
  it("offers Exact and the next notes above the total", () => {
    expect(quickCash(699, GBP_NOTES)).toEqual([699, 1000, 2000, 5000]);
    expect(quickCash(1000, GBP_NOTES)).toEqual([1000, 2000, 5000]);
    expect(quickCash(6, GBP_NOTES)).toEqual([6, 10, 20, 50]);
  });

  it("rounds up to the largest note for a big basket, and has nothing for a free sale", () => {
    expect(quickCash(12_345, GBP_NOTES)).toEqual([12_345, 15_000]);
    expect(quickCash(0, GBP_NOTES)).toEqual([]);
    expect(quickCash(250, [])).toEqual([250]);
  });
});

describe("discounts as typed", () => {
  it("reads 10% as a percentage and 0.50 as an amount", () => {
    expect(parseLineDiscount("10%", 2)).toEqual({ kind: "percent", discount_percent_bp: 1000 });
    expect(parseLineDiscount(" 12.5 % ", 2)).toEqual({ kind: "percent", discount_percent_bp: 1250 });
    expect(parseLineDiscount("0.50", 2)).toEqual({ kind: "amount", discount_minor: 50 });
    expect(parseLineDiscount("", 2)).toEqual({ kind: "none" });
    expect(parseLineDiscount("150%", 2).kind).toBe("invalid");
    expect(parseLineDiscount("abc", 2).kind).toBe("invalid");
    expect(parsePercentBp("0%")).toBeNull();
  });

  it("turns the Discount sale field into what the core takes", () => {
    expect(parseBasketDiscount("10%", 2)).toEqual({ percent_bp: 1000 });
    expect(parseBasketDiscount("2.00", 2)).toEqual({ amount_minor: 200 });
    expect(typeof parseBasketDiscount("", 2)).toBe("string");
    expect(basketText({ percent_bp: 1000 })).toBe("10% off the sale");
    expect(formatPercent(1250)).toBe("12.5%");
  });
});

describe("manager approval", () => {
  it("reads 4 to 8 digits as a PIN and anything else as a password", () => {
    expect(approvalFrom(" anna ", "1357")).toEqual({ username: "anna", pin: "1357" });
    expect(approvalFrom("anna", "long secret")).toEqual({ username: "anna", password: "long secret" });
    expect(approvalFrom("", "1357")).toBeNull();
  });

  const approvable = () => new TillbookError("forbidden", "a cashier may not do this", { needs: ["sales.discount"], approvable: true });

  it("asks once, retries the same call once with the approval, and keeps nothing", async () => {
    render(() => <ApprovalDialog />);
    const seen: (Approval | null)[] = [];
    const done = withApproval(async (a) => {
      seen.push(a);
      if (a === null) throw approvable();
      return "sold";
    });
    const dialog = await screen.findByTestId("approval-dialog");
    expect(dialog.textContent).toMatch(/give this discount/);
    fireEvent.input(screen.getByTestId("approval-username"), { target: { value: "anna" } });
    fireEvent.input(screen.getByTestId("approval-secret"), { target: { value: "1357" } });
    fireEvent.click(screen.getByTestId("approval-submit"));
    await expect(done).resolves.toBe("sold");
    expect(seen).toEqual([null, { username: "anna", pin: "1357" }]);
    expect(screen.queryByTestId("approval-dialog")).toBeNull();
  });

  it("says in plain words when the approval is refused, and does not ask for other refusals", async () => {
    render(() => <ApprovalDialog />);
    const refused = withApproval(async (a) => {
      if (a === null) throw approvable();
      throw new TillbookError("forbidden", "the approver's username or PIN is wrong");
    });
    await screen.findByTestId("approval-dialog");
    fireEvent.input(screen.getByTestId("approval-username"), { target: { value: "anna" } });
    fireEvent.input(screen.getByTestId("approval-secret"), { target: { value: "0000" } });
    fireEvent.click(screen.getByTestId("approval-submit"));
    await expect(refused).rejects.toThrow(/approval was refused: the approver's username or PIN is wrong/);
    expect(isApprovable(new TillbookError("forbidden", "not yours"))).toBe(false);
    await expect(withApproval(async () => Promise.reject(new TillbookError("forbidden", "not yours")))).rejects.toThrow("not yours");
  });
});
