-- AlterEnum
ALTER TYPE "DayCountConvention" ADD VALUE 'ACT_ACT_ISDA';
ALTER TYPE "DayCountConvention" ADD VALUE 'THIRTY_E_360';
