-- Webhook signing secrets are stored sealed (AES-256-GCM under the service's
-- key, which is not in the database; prisma/secret-box.ts). Rows written in
-- clear before this migration are sealed by the service at start-up
-- (sealLegacySigningSecrets), since SQL does not hold the key.
ALTER TABLE "webhook_endpoint" RENAME COLUMN "signing_secret" TO "signing_secret_sealed";

-- The shape no longer says the secret is in clear.
ALTER TABLE "webhook_endpoint" DROP CONSTRAINT "webhook_endpoint_shape";
ALTER TABLE "webhook_endpoint" ADD CONSTRAINT "webhook_endpoint_shape" CHECK (
  "url" ~ '^https?://' AND cardinality("event_types") >= 1
  AND "consecutive_failures" >= 0 AND (("status" = 'DISABLED') = ("disabled_at" IS NOT NULL)));

-- Every row written from now on must be sealed; rows from before are checked
-- once they have been sealed (NOT VALID skips them until then).
ALTER TABLE "webhook_endpoint" ADD CONSTRAINT "webhook_endpoint_signing_secret_is_sealed"
  CHECK ("signing_secret_sealed" LIKE 'gdsealed.v1.%') NOT VALID;
