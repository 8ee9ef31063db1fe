-- CreateEnum
CREATE TYPE "WebhookEndpointStatus" AS ENUM ('ENABLED', 'DISABLED');

-- CreateEnum
CREATE TYPE "WebhookDeliveryStatus" AS ENUM ('PENDING', 'DELIVERED', 'FAILED');

-- CreateTable
CREATE TABLE "domain_event" (
    "seq" BIGSERIAL NOT NULL,
    "id" UUID NOT NULL,
    "tx_id" BIGINT NOT NULL DEFAULT ((pg_current_xact_id())::text)::bigint,
    "type" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "subject_type" TEXT NOT NULL,
    "subject_id" UUID NOT NULL,
    "data" JSONB NOT NULL,
    "request_id" TEXT,
    "recorded_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "domain_event_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "domain_event_party" (
    "event_seq" BIGINT NOT NULL,
    "organisation_id" UUID NOT NULL,
    "tx_id" BIGINT NOT NULL,

    CONSTRAINT "domain_event_party_pkey" PRIMARY KEY ("organisation_id","event_seq")
);

-- CreateTable
CREATE TABLE "webhook_endpoint" (
    "id" UUID NOT NULL,
    "organisation_id" UUID NOT NULL,
    "url" TEXT NOT NULL,
    "event_types" TEXT[],
    "description" TEXT,
    "signing_secret" TEXT NOT NULL,
    "status" "WebhookEndpointStatus" NOT NULL DEFAULT 'ENABLED',
    "disabled_reason" TEXT,
    "disabled_at" TIMESTAMPTZ(6),
    "cursor_tx_id" BIGINT NOT NULL,
    "cursor_seq" BIGINT NOT NULL DEFAULT 0,
    "failing_since" TIMESTAMPTZ(6),
    "consecutive_failures" INTEGER NOT NULL DEFAULT 0,
    "created_by_user_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_endpoint_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_delivery" (
    "id" UUID NOT NULL,
    "endpoint_id" UUID NOT NULL,
    "event_seq" BIGINT NOT NULL,
    "status" "WebhookDeliveryStatus" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "failed_attempts" INTEGER NOT NULL DEFAULT 0,
    "retry_window_started_at" TIMESTAMPTZ(6) NOT NULL,
    "next_attempt_at" TIMESTAMPTZ(6),
    "claimed_until" TIMESTAMPTZ(6),
    "manual_pending" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMPTZ(6),

    CONSTRAINT "webhook_delivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_attempt" (
    "id" BIGSERIAL NOT NULL,
    "delivery_id" UUID NOT NULL,
    "attempt_number" INTEGER NOT NULL,
    "manual" BOOLEAN NOT NULL DEFAULT false,
    "attempted_at" TIMESTAMPTZ(6) NOT NULL,
    "status_code" INTEGER,
    "latency_ms" INTEGER NOT NULL,
    "error" TEXT,
    "succeeded" BOOLEAN NOT NULL,

    CONSTRAINT "webhook_attempt_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "domain_event_id_key" ON "domain_event"("id");

-- CreateIndex
CREATE INDEX "domain_event_tx_id_seq_idx" ON "domain_event"("tx_id", "seq");

-- CreateIndex
CREATE INDEX "domain_event_party_organisation_id_tx_id_event_seq_idx" ON "domain_event_party"("organisation_id", "tx_id", "event_seq");

-- CreateIndex
CREATE INDEX "webhook_endpoint_organisation_id_created_at_idx" ON "webhook_endpoint"("organisation_id", "created_at");

-- CreateIndex
CREATE INDEX "webhook_delivery_endpoint_id_created_at_idx" ON "webhook_delivery"("endpoint_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_delivery_endpoint_id_event_seq_key" ON "webhook_delivery"("endpoint_id", "event_seq");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_attempt_delivery_id_attempt_number_key" ON "webhook_attempt"("delivery_id", "attempt_number");

-- AddForeignKey
ALTER TABLE "domain_event_party" ADD CONSTRAINT "domain_event_party_event_seq_fkey" FOREIGN KEY ("event_seq") REFERENCES "domain_event"("seq") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_delivery" ADD CONSTRAINT "webhook_delivery_endpoint_id_fkey" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoint"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "webhook_attempt" ADD CONSTRAINT "webhook_attempt_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "webhook_delivery"("id") ON DELETE RESTRICT ON UPDATE CASCADE;



-- ─── Hand-written ───────────────────────────────────────────────────────────

-- The feed is history: events and their parties are never changed or deleted.
CREATE TRIGGER domain_event_append_only
  BEFORE UPDATE OR DELETE ON "domain_event"
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER domain_event_no_truncate
  BEFORE TRUNCATE ON "domain_event"
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
CREATE TRIGGER domain_event_party_append_only
  BEFORE UPDATE OR DELETE ON "domain_event_party"
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER domain_event_party_no_truncate
  BEFORE TRUNCATE ON "domain_event_party"
  FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();

ALTER TABLE "domain_event" ADD CONSTRAINT "domain_event_shape" CHECK (
  "type" ~ '^[a-z_]+\.[a-z_]+$' AND "version" >= 1 AND jsonb_typeof("data") = 'object');

ALTER TABLE "webhook_endpoint" ADD CONSTRAINT "webhook_endpoint_shape" CHECK (
  "url" ~ '^https?://' AND cardinality("event_types") >= 1 AND "signing_secret" ~ '^whsec_'
  AND "consecutive_failures" >= 0 AND (("status" = 'DISABLED') = ("disabled_at" IS NOT NULL)));
ALTER TABLE "webhook_delivery" ADD CONSTRAINT "webhook_delivery_state" CHECK (
  "attempts" >= 0 AND "failed_attempts" >= 0
  AND (("status" = 'DELIVERED') = ("delivered_at" IS NOT NULL))
  AND (("status" = 'PENDING') = ("next_attempt_at" IS NOT NULL)));
ALTER TABLE "webhook_delivery" ADD CONSTRAINT "webhook_delivery_event_seq_fkey"
  FOREIGN KEY ("event_seq") REFERENCES "domain_event"("seq");
ALTER TABLE "webhook_attempt" ADD CONSTRAINT "webhook_attempt_figures" CHECK (
  "attempt_number" >= 1 AND "latency_ms" >= 0 AND ("status_code" IS NULL OR "status_code" BETWEEN 100 AND 599));

-- The deliverer's scan: pending deliveries by when they are due.
CREATE INDEX "webhook_delivery_due_idx" ON "webhook_delivery" ("next_attempt_at") WHERE "status" = 'PENDING';
