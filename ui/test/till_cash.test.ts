import { describe, expect, it } from "vitest";
import { handBackWords } from "../src/logic/handBack";
import { looksLikePhone } from "../src/screens/till/CustomerPicker";

describe("cash control helpers", () => {
  it("says what to hand back per tender, cash first as the core orders it", () => {
    expect(handBackWords({ hand_back: [{ action: "give_cash", amount_minor: 452 }, { action: "refund_to_card", amount_minor: 948 }] })).toBe(
      "Give 4.52 cash, refund 9.48 to the card",
    );
    expect(handBackWords({ hand_back: [{ action: "store_credit", amount_minor: 1000 }] })).toBe("Add 10.00 to the customer's store credit");
    expect(handBackWords({ hand_back: [] })).toBe("Nothing to hand back");
  });

  it("puts a typed phone number into the new customer's phone, anything else into the name", () => {
    expect(looksLikePhone("07700 900123")).toBe(true);
    expect(looksLikePhone("+44 (0)20-7946")).toBe(true);
    expect(looksLikePhone("Dana")).toBe(false);
    expect(looksLikePhone("  ")).toBe(false);
  });
});
