-- AlterTable
ALTER TABLE "credit_line" ADD COLUMN     "interest_billing_day_of_month" INTEGER,
ADD COLUMN     "interest_billing_due_after_days" INTEGER;

-- CreateTable
CREATE TABLE "interest_bill" (
    "credit_line_id" UUID NOT NULL,
    "billed_on" DATE NOT NULL,
    "period_from" DATE NOT NULL,
    "period_to" DATE NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "amount" DECIMAL(38,18) NOT NULL,
    "due_date" DATE NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "interest_bill_pkey" PRIMARY KEY ("credit_line_id","billed_on")
);


-- Hand-written: the billing terms' ranges as the code checks them (domain/interest-billing.ts interestBillingProblems),
-- a bill's shape, append-only.

ALTER TABLE "credit_line"
    ADD CONSTRAINT "credit_line_interest_billing_range"
    CHECK (("interest_billing_day_of_month" IS NULL AND "interest_billing_due_after_days" IS NULL)
        OR ("interest_billing_day_of_month" BETWEEN 1 AND 28 AND "interest_billing_due_after_days" BETWEEN 0 AND 365));

ALTER TABLE "interest_bill"
    -- A bill is positive and at most at the scale of any currency (the code rounds it to its currency's scale).
    ADD CONSTRAINT "interest_bill_amount_positive" CHECK ("amount" > 0 AND "amount" = round("amount", 3)),
    -- The period ends the day before the billing day; the bill is due on it or later.
    ADD CONSTRAINT "interest_bill_period" CHECK ("period_from" <= "period_to" AND "billed_on" = "period_to" + 1 AND "due_date" BETWEEN "billed_on" AND "billed_on" + 365),
    ADD CONSTRAINT "interest_bill_credit_line_fkey" FOREIGN KEY ("credit_line_id") REFERENCES "credit_line"("id") ON DELETE RESTRICT;

-- A bill is history: never changed or deleted.
CREATE TRIGGER interest_bill_append_only
  BEFORE UPDATE OR DELETE ON "interest_bill"
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER interest_bill_no_truncate
  BEFORE TRUNCATE ON "interest_bill"
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
