// Commands of the back-office screens in this area: arguments and result, typed
// from ui/src/generated. Merged into `Commands` through api-backoffice.ts.
//
// Invoices, customer payments and statements, AR aging (screens/Invoices.tsx),
// and loyalty management (screens/Loyalty.tsx, components/LoyaltyPanel.tsx).
// See docs/API.md "## Invoices" and "## Loyalty".

import type { Idempotent } from "./api";
import type { AgingBuckets } from "./generated/AgingBuckets";
import type { AgingCustomerRow } from "./generated/AgingCustomerRow";
import type { AgingReport } from "./generated/AgingReport";
import type { CustomerPaymentPage } from "./generated/CustomerPaymentPage";
import type { CustomerPaymentTender } from "./generated/CustomerPaymentTender";
import type { CustomerPaymentView } from "./generated/CustomerPaymentView";
import type { CustomerPaymentsRequest } from "./generated/CustomerPaymentsRequest";
import type { CustomerStatement } from "./generated/CustomerStatement";
import type { CustomerStatementRequest } from "./generated/CustomerStatementRequest";
import type { InvoiceAgingRequest } from "./generated/InvoiceAgingRequest";
import type { InvoiceAllocateRequest } from "./generated/InvoiceAllocateRequest";
import type { InvoiceAllocateView } from "./generated/InvoiceAllocateView";
import type { InvoiceAllocationInput } from "./generated/InvoiceAllocationInput";
import type { InvoiceAllocationView } from "./generated/InvoiceAllocationView";
import type { InvoiceCreateRequest } from "./generated/InvoiceCreateRequest";
import type { InvoiceListRequest } from "./generated/InvoiceListRequest";
import type { InvoiceOrderView } from "./generated/InvoiceOrderView";
import type { InvoicePage } from "./generated/InvoicePage";
import type { InvoiceStatus } from "./generated/InvoiceStatus";
import type { InvoiceSummary } from "./generated/InvoiceSummary";
import type { InvoiceView } from "./generated/InvoiceView";
import type { InvoiceableOrder } from "./generated/InvoiceableOrder";
import type { InvoiceableOrderPage } from "./generated/InvoiceableOrderPage";
import type { InvoiceableRequest } from "./generated/InvoiceableRequest";
import type { ReceivePaymentRequest } from "./generated/ReceivePaymentRequest";
import type { StatementLine } from "./generated/StatementLine";
import type { StatementLineKind } from "./generated/StatementLineKind";
import type { LoyaltyAdjustRequest } from "./generated/LoyaltyAdjustRequest";
import type { LoyaltyBalance } from "./generated/LoyaltyBalance";
import type { LoyaltyBalanceRequest } from "./generated/LoyaltyBalanceRequest";
import type { LoyaltyBulkAdd } from "./generated/LoyaltyBulkAdd";
import type { LoyaltyBulkAddRequest } from "./generated/LoyaltyBulkAddRequest";
import type { LoyaltyBulkPreview } from "./generated/LoyaltyBulkPreview";
import type { LoyaltyBulkPreviewRequest } from "./generated/LoyaltyBulkPreviewRequest";
import type { LoyaltyCategoryMultiplier } from "./generated/LoyaltyCategoryMultiplier";
import type { LoyaltyClaim } from "./generated/LoyaltyClaim";
import type { LoyaltyClaimRequest } from "./generated/LoyaltyClaimRequest";
import type { LoyaltyConfig } from "./generated/LoyaltyConfig";
import type { LoyaltyConfigureRequest } from "./generated/LoyaltyConfigureRequest";
import type { LoyaltyCreateRewardRequest } from "./generated/LoyaltyCreateRewardRequest";
import type { LoyaltyCustomerFilter } from "./generated/LoyaltyCustomerFilter";
import type { LoyaltyCustomerPoints } from "./generated/LoyaltyCustomerPoints";
import type { LoyaltyExpiryRun } from "./generated/LoyaltyExpiryRun";
import type { LoyaltyGrant } from "./generated/LoyaltyGrant";
import type { LoyaltyMovement } from "./generated/LoyaltyMovement";
import type { LoyaltyReward } from "./generated/LoyaltyReward";
import type { LoyaltyRewardList } from "./generated/LoyaltyRewardList";
import type { LoyaltyRewardsRequest } from "./generated/LoyaltyRewardsRequest";
import type { LoyaltyStats } from "./generated/LoyaltyStats";
import type { LoyaltyStatsRequest } from "./generated/LoyaltyStatsRequest";
import type { IdRequest } from "./generated/IdRequest";
import type { IdVersionRequest } from "./generated/IdVersionRequest";

export type {
  AgingBuckets,
  AgingCustomerRow,
  AgingReport,
  CustomerPaymentPage,
  CustomerPaymentTender,
  CustomerPaymentView,
  CustomerPaymentsRequest,
  CustomerStatement,
  CustomerStatementRequest,
  InvoiceAgingRequest,
  InvoiceAllocateRequest,
  InvoiceAllocateView,
  InvoiceAllocationInput,
  InvoiceAllocationView,
  InvoiceCreateRequest,
  InvoiceListRequest,
  InvoiceOrderView,
  InvoicePage,
  InvoiceStatus,
  InvoiceSummary,
  InvoiceView,
  InvoiceableOrder,
  InvoiceableOrderPage,
  InvoiceableRequest,
  ReceivePaymentRequest,
  StatementLine,
  StatementLineKind,
  LoyaltyAdjustRequest,
  LoyaltyBalance,
  LoyaltyBalanceRequest,
  LoyaltyBulkAdd,
  LoyaltyBulkAddRequest,
  LoyaltyBulkPreview,
  LoyaltyBulkPreviewRequest,
  LoyaltyCategoryMultiplier,
  LoyaltyClaim,
  LoyaltyClaimRequest,
  LoyaltyConfig,
  LoyaltyConfigureRequest,
  LoyaltyCreateRewardRequest,
  LoyaltyCustomerFilter,
  LoyaltyCustomerPoints,
  LoyaltyExpiryRun,
  LoyaltyGrant,
  LoyaltyMovement,
  LoyaltyReward,
  LoyaltyRewardList,
  LoyaltyRewardsRequest,
  LoyaltyStats,
  LoyaltyStatsRequest,
};

export const INVOICE_STATUSES: readonly InvoiceStatus[] = ["open", "partially_paid", "paid", "overdue"];
export const CUSTOMER_PAYMENT_TENDERS: readonly CustomerPaymentTender[] = ["cash", "card", "bank"];

export interface AccountsLoyaltyCommands {
  "invoices.create": { args: InvoiceCreateRequest & Idempotent; result: InvoiceView };
  "invoices.get": { args: IdRequest; result: InvoiceView };
  "invoices.list": { args: InvoiceListRequest; result: InvoicePage };
  "invoices.invoiceable": { args: InvoiceableRequest; result: InvoiceableOrderPage };
  "invoices.allocate": { args: InvoiceAllocateRequest & Idempotent; result: InvoiceAllocateView };
  "invoices.aging": { args: InvoiceAgingRequest; result: AgingReport };
  "customers.receive_payment": { args: ReceivePaymentRequest & Idempotent; result: CustomerPaymentView };
  "customers.payments": { args: CustomerPaymentsRequest; result: CustomerPaymentPage };
  "customers.statement": { args: CustomerStatementRequest; result: CustomerStatement };
  "loyalty.config": { args: Record<string, never>; result: LoyaltyConfig };
  "loyalty.configure": { args: LoyaltyConfigureRequest; result: LoyaltyConfig };
  "loyalty.create_reward": { args: LoyaltyCreateRewardRequest & Idempotent; result: LoyaltyReward };
  "loyalty.archive_reward": { args: IdVersionRequest; result: LoyaltyReward };
  "loyalty.rewards": { args: LoyaltyRewardsRequest; result: LoyaltyRewardList };
  "loyalty.claim": { args: LoyaltyClaimRequest & Idempotent; result: LoyaltyClaim };
  "loyalty.balance": { args: LoyaltyBalanceRequest; result: LoyaltyBalance };
  "loyalty.adjust": { args: LoyaltyAdjustRequest & Idempotent; result: LoyaltyMovement };
  "loyalty.bulk_preview": { args: LoyaltyBulkPreviewRequest; result: LoyaltyBulkPreview };
  "loyalty.bulk_add": { args: LoyaltyBulkAddRequest & Idempotent; result: LoyaltyBulkAdd };
  "loyalty.expire": { args: Record<string, never>; result: LoyaltyExpiryRun };
  "loyalty.stats": { args: LoyaltyStatsRequest; result: LoyaltyStats };
}

export const ACCOUNTS_LOYALTY_COMMAND_NAMES = [
  "invoices.create",
  "invoices.get",
  "invoices.list",
  "invoices.invoiceable",
  "invoices.allocate",
  "invoices.aging",
  "customers.receive_payment",
  "customers.payments",
  "customers.statement",
  "loyalty.config",
  "loyalty.configure",
  "loyalty.create_reward",
  "loyalty.archive_reward",
  "loyalty.rewards",
  "loyalty.claim",
  "loyalty.balance",
  "loyalty.adjust",
  "loyalty.bulk_preview",
  "loyalty.bulk_add",
  "loyalty.expire",
  "loyalty.stats",
] as const;
