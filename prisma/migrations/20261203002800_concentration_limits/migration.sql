-- AlterTable
ALTER TABLE "credit_line" ADD COLUMN     "concentration_limit_commodity" DECIMAL(20,10),
ADD COLUMN     "concentration_limit_lot" DECIMAL(20,10),
ADD COLUMN     "concentration_limit_warehouse" DECIMAL(20,10);


-- Hand-written: a limit is a share of the borrowing base (domain/concentration.ts, concentrationLimitProblems).
ALTER TABLE "credit_line"
    ADD CONSTRAINT "credit_line_concentration_limits_range"
    CHECK (("concentration_limit_commodity" IS NULL OR ("concentration_limit_commodity" > 0 AND "concentration_limit_commodity" <= 1))
       AND ("concentration_limit_warehouse" IS NULL OR ("concentration_limit_warehouse" > 0 AND "concentration_limit_warehouse" <= 1))
       AND ("concentration_limit_lot" IS NULL OR ("concentration_limit_lot" > 0 AND "concentration_limit_lot" <= 1)));
