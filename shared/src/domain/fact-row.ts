// The one normalized shape every connector's normalize() produces and the fact loader consumes.
import * as z from 'zod';

/** A decimal kept exact: numbers are accepted, but strings (e.g. "312.69" from 312690000 micros) never round. */
export type Decimal = string | number;

export interface FactRow {
  /** the report the row came from, e.g. 'campaign_daily'; part of the natural key */
  dataType: string;
  /** the account's reporting day, YYYY-MM-DD, in the account's own time zone */
  date: string;
  accountId?: string | null;
  accountName?: string | null;
  campaignId?: string | null;
  campaignName?: string | null;
  adGroupId?: string | null;
  adGroupName?: string | null;
  adId?: string | null;
  adName?: string | null;
  /** further dimensions that identify the row (source/medium, media id, ...): part of the row key */
  extraDimensions?: Record<string, string | number | boolean | null>;
  impressions?: Decimal | null;
  clicks?: Decimal | null;
  /** in the account's currency, in units (not micros) */
  cost?: Decimal | null;
  conversions?: Decimal | null;
  revenue?: Decimal | null;
  /** ISO 4217, the account's currency */
  currency?: string | null;
  /** every other metric the platform gave, unknown new ones included */
  extraMetrics?: Record<string, unknown>;
}

const decimal = z
  .union([z.number().finite(), z.string().regex(/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/)])
  .nullable()
  .optional();

/** Validates rows at the boundary where they leave a connector. */
export const FactRowSchema = z.object({
  dataType: z.string().min(1).max(100),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  accountId: z.string().nullable().optional(),
  accountName: z.string().nullable().optional(),
  campaignId: z.string().nullable().optional(),
  campaignName: z.string().nullable().optional(),
  adGroupId: z.string().nullable().optional(),
  adGroupName: z.string().nullable().optional(),
  adId: z.string().nullable().optional(),
  adName: z.string().nullable().optional(),
  extraDimensions: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  impressions: decimal,
  clicks: decimal,
  cost: decimal,
  conversions: decimal,
  revenue: decimal,
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .nullable()
    .optional(),
  extraMetrics: z.record(z.string(), z.unknown()).optional(),
});
