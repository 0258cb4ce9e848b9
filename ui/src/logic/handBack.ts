// What the cashier hands back after a refund, in words: one phrase per
// tender ("give 4.52 cash") and the whole instruction as one sentence. Shared
// by the refund of a sale and the refund without a receipt.

import type { RefundHandBack, RefundView } from "../api";
import { formatMoney } from "../money";

/** One instruction of a refund: "give 4.52 cash", "refund 9.48 to the card". */
export function handBackPhrase(h: RefundHandBack): string {
  const m = formatMoney(h.amount_minor);
  switch (h.action) {
    case "give_cash":
      return `give ${m} cash`;
    case "refund_to_card":
      return `refund ${m} to the card`;
    case "store_credit":
      return `add ${m} to the customer's store credit`;
    case "credit_account":
      return `take ${m} off the customer's account`;
  }
}

/** What the cashier hands back, as one sentence: "Give 4.52 cash, refund 9.48 to the card". */
export function handBackWords(r: Pick<RefundView, "hand_back">): string {
  if (r.hand_back.length === 0) return "Nothing to hand back";
  const text = r.hand_back.map(handBackPhrase).join(", ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}
