-- AlterTable
ALTER TABLE "credit_line" ADD COLUMN     "rate_floor" DECIMAL(20,10),
ADD COLUMN     "rate_spread" DECIMAL(20,10),
ADD COLUMN     "reference_rate_id" UUID;

-- AlterTable
ALTER TABLE "interest_accrual" ADD COLUMN     "fixing_date" DATE,
ADD COLUMN     "fixing_rate" DECIMAL(20,10),
ADD COLUMN     "rate_flag" TEXT,
ADD COLUMN     "terms_version_no" INTEGER;

-- CreateTable
CREATE TABLE "credit_terms_version" (
    "id" UUID NOT NULL,
    "credit_line_id" UUID NOT NULL,
    "version_no" INTEGER NOT NULL,
    "effective_from" DATE NOT NULL,
    "status" TEXT NOT NULL,
    "terms" JSONB NOT NULL,
    "annual_interest_rate" DECIMAL(20,10) NOT NULL,
    "day_count" "DayCountConvention" NOT NULL,
    "reference_rate_id" UUID,
    "rate_spread" DECIMAL(20,10),
    "rate_floor" DECIMAL(20,10),
    "worsens_for_seller" BOOLEAN NOT NULL,
    "worsenings" TEXT[],
    "proposed_by" UUID,
    "proposed_at" TIMESTAMPTZ(6) NOT NULL,
    "approved_by" UUID,
    "approved_at" TIMESTAMPTZ(6),
    "accepted_by" UUID,
    "accepted_at" TIMESTAMPTZ(6),
    "closed_by" UUID,
    "closed_at" TIMESTAMPTZ(6),
    "applied_at" TIMESTAMPTZ(6),

    CONSTRAINT "credit_terms_version_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reference_rate" (
    "id" UUID NOT NULL,
    "lender_organisation_id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "max_fixing_age_days" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "reference_rate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rate_fixing" (
    "id" UUID NOT NULL,
    "reference_rate_id" UUID NOT NULL,
    "effective_date" DATE NOT NULL,
    "rate" DECIMAL(20,10) NOT NULL,
    "posted_by" UUID NOT NULL,
    "posted_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rate_fixing_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "credit_terms_version_credit_line_id_effective_from_idx" ON "credit_terms_version"("credit_line_id", "effective_from");

-- CreateIndex
CREATE UNIQUE INDEX "credit_terms_version_credit_line_id_version_no_key" ON "credit_terms_version"("credit_line_id", "version_no");

-- CreateIndex
CREATE UNIQUE INDEX "reference_rate_lender_organisation_id_code_key" ON "reference_rate"("lender_organisation_id", "code");

-- CreateIndex
CREATE UNIQUE INDEX "rate_fixing_reference_rate_id_effective_date_key" ON "rate_fixing"("reference_rate_id", "effective_date");


-- Hand-written: keys, CHECKs and append-only fixings.

ALTER TABLE "credit_terms_version"
    ADD CONSTRAINT "credit_terms_version_credit_line_fkey" FOREIGN KEY ("credit_line_id") REFERENCES "credit_line"("id"),
    ADD CONSTRAINT "credit_terms_version_reference_rate_fkey" FOREIGN KEY ("reference_rate_id") REFERENCES "reference_rate"("id"),
    ADD CONSTRAINT "credit_terms_version_status_known"
    CHECK ("status" IN ('PENDING_APPROVAL', 'PENDING_ACCEPTANCE', 'AGREED', 'WITHDRAWN', 'DECLINED')),
    ADD CONSTRAINT "credit_terms_version_no_positive" CHECK ("version_no" >= 1),
    -- Never the proposer: a second lender user approves (domain/terms-amendment.ts).
    ADD CONSTRAINT "credit_terms_version_second_approver" CHECK ("approved_by" IS NULL OR "approved_by" IS DISTINCT FROM "proposed_by"),
    ADD CONSTRAINT "credit_terms_version_floating_rate_complete"
    CHECK (("reference_rate_id" IS NULL) = ("rate_spread" IS NULL) AND ("rate_floor" IS NULL OR "reference_rate_id" IS NOT NULL)),
    ADD CONSTRAINT "credit_terms_version_agreed_is_approved"
    CHECK ("status" <> 'AGREED' OR "version_no" = 1 OR ("approved_by" IS NOT NULL AND ("worsens_for_seller" = false OR "accepted_by" IS NOT NULL)));

-- At most one amendment of a line waits for approval or acceptance at a time.
CREATE UNIQUE INDEX "credit_terms_version_one_pending" ON "credit_terms_version"("credit_line_id")
    WHERE "status" IN ('PENDING_APPROVAL', 'PENDING_ACCEPTANCE');

ALTER TABLE "credit_line"
    ADD CONSTRAINT "credit_line_reference_rate_fkey" FOREIGN KEY ("reference_rate_id") REFERENCES "reference_rate"("id"),
    ADD CONSTRAINT "credit_line_floating_rate_complete"
    CHECK (("reference_rate_id" IS NULL) = ("rate_spread" IS NULL) AND ("rate_floor" IS NULL OR "reference_rate_id" IS NOT NULL));

ALTER TABLE "reference_rate"
    ADD CONSTRAINT "reference_rate_lender_fkey" FOREIGN KEY ("lender_organisation_id") REFERENCES "organisation"("id"),
    ADD CONSTRAINT "reference_rate_max_fixing_age_range" CHECK ("max_fixing_age_days" BETWEEN 0 AND 3650);

ALTER TABLE "rate_fixing"
    ADD CONSTRAINT "rate_fixing_reference_rate_fkey" FOREIGN KEY ("reference_rate_id") REFERENCES "reference_rate"("id"),
    -- A fraction per year, negative rates included (EURIBOR was below zero for years).
    ADD CONSTRAINT "rate_fixing_rate_range" CHECK ("rate" BETWEEN -1 AND 1);

CREATE TRIGGER rate_fixing_append_only
  BEFORE UPDATE OR DELETE ON "rate_fixing"
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER rate_fixing_no_truncate
  BEFORE TRUNCATE ON "rate_fixing"
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

ALTER TABLE "interest_accrual"
    ADD CONSTRAINT "interest_accrual_rate_flag_known" CHECK ("rate_flag" IS NULL OR "rate_flag" = 'STALE_FIXING'),
    ADD CONSTRAINT "interest_accrual_fixing_complete" CHECK (("fixing_date" IS NULL) = ("fixing_rate" IS NULL) AND ("rate_flag" IS NULL OR "fixing_date" IS NOT NULL));

