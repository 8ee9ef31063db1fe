-- AlterTable
ALTER TABLE "idempotency_record" ADD COLUMN     "redacted_fields" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "user_id" UUID;

-- CreateIndex
CREATE INDEX "idempotency_record_created_at_idx" ON "idempotency_record"("created_at");

-- Hand-written below.
-- No secret at rest: responses stored before this migration may hold API keys
-- (create user, register organisation, issue key). Remove every string field
-- named like a credential, at any depth, as api/http/idempotency.ts does for
-- new rows. These rows have no user_id, so they are never replayed anyway.
CREATE FUNCTION idempotency_strip_secrets(value jsonb) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF jsonb_typeof(value) = 'object' THEN
    RETURN COALESCE(
      (SELECT jsonb_object_agg(field.key, idempotency_strip_secrets(field.value))
         FROM jsonb_each(value) AS field
        WHERE NOT (jsonb_typeof(field.value) = 'string' AND field.key ~* '(apikey|token|secret|password)$')),
      '{}'::jsonb);
  ELSIF jsonb_typeof(value) = 'array' THEN
    RETURN COALESCE(
      (SELECT jsonb_agg(idempotency_strip_secrets(item.value) ORDER BY item.position)
         FROM jsonb_array_elements(value) WITH ORDINALITY AS item(value, position)),
      '[]'::jsonb);
  END IF;
  RETURN value;
END
$$;

UPDATE "idempotency_record"
   SET "response_body" = idempotency_strip_secrets("response_body")
 WHERE "response_body" IS NOT NULL AND "response_body" <> idempotency_strip_secrets("response_body");

DROP FUNCTION idempotency_strip_secrets(jsonb);
