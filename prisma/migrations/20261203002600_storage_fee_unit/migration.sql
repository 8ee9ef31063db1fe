-- A storage fee on sale is a price per unit of goods per day, so it names its
-- unit (the wire's UnitPrice: { amount, currency, unit }); a sale of goods held
-- in another unit is refused rather than charged as if the units were the same.
ALTER TABLE "credit_line" ADD COLUMN "on_sale_fee_unit" TEXT;

-- Lines written before this migration: the unit of the goods the line has held
-- (pledged or sold), when they were all in one unit. A line that never held
-- goods, or held goods in several units, cannot be told: the migration stops
-- and names it, so that an operator sets its unit by hand (there is no default
-- that would not be a guess about money).
UPDATE "credit_line" cl SET "on_sale_fee_unit" = units.unit
FROM (
  SELECT li."credit_line_id", min(lo."unit") AS unit
  FROM "lien" li JOIN "lot" lo ON lo."id" = li."lot_id"
  GROUP BY li."credit_line_id"
  HAVING count(DISTINCT lo."unit") = 1
) units
WHERE cl."id" = units."credit_line_id" AND cl."on_sale_fee_kind" = 'STORAGE_DAYS';

DO $$
DECLARE
  unknown TEXT;
BEGIN
  SELECT string_agg("id"::text, ', ') INTO unknown FROM "credit_line" WHERE "on_sale_fee_kind" = 'STORAGE_DAYS' AND "on_sale_fee_unit" IS NULL;
  IF unknown IS NOT NULL THEN
    RAISE EXCEPTION 'the storage fee of credit line(s) % is per unit of goods, and the unit cannot be told from the goods they held: set credit_line.on_sale_fee_unit (and the feeSchedule.onSale.unit of their credit_terms_version rows) by hand, then migrate again', unknown;
  END IF;
END $$;

-- Terms versions keep the whole terms as JSON: the same unit goes into their storage fee.
UPDATE "credit_terms_version" v
SET "terms" = jsonb_set(v."terms"::jsonb, '{feeSchedule,onSale,unit}', to_jsonb(cl."on_sale_fee_unit"))
FROM "credit_line" cl
WHERE cl."id" = v."credit_line_id" AND v."terms"::jsonb #>> '{feeSchedule,onSale,kind}' = 'STORAGE_DAYS' AND v."terms"::jsonb #> '{feeSchedule,onSale,unit}' IS NULL;

ALTER TABLE "credit_line" DROP CONSTRAINT "credit_line_on_sale_fee_shape";
ALTER TABLE "credit_line"
  ADD CONSTRAINT "credit_line_on_sale_fee_shape" CHECK (
    ("on_sale_fee_kind" IS NULL AND "on_sale_fee_storage_days" IS NULL AND "on_sale_fee_daily_rate_per_unit" IS NULL AND "on_sale_fee_unit" IS NULL AND "on_sale_fee_percent" IS NULL)
    OR ("on_sale_fee_kind" = 'STORAGE_DAYS' AND "on_sale_fee_storage_days" > 0 AND "on_sale_fee_daily_rate_per_unit" > 0 AND length(trim("on_sale_fee_unit")) > 0 AND "on_sale_fee_percent" IS NULL)
    OR ("on_sale_fee_kind" = 'PERCENT_OF_PROCEEDS' AND "on_sale_fee_percent" > 0 AND "on_sale_fee_storage_days" IS NULL AND "on_sale_fee_daily_rate_per_unit" IS NULL AND "on_sale_fee_unit" IS NULL));
