import { CronExpressionParser } from "cron-parser";
import { z } from "zod";

/** A cron expression cron-parser accepts; anything else fails naming `example` as one that would do. */
export function cronSchema(example: string): z.ZodString {
  return z.string().refine(
    (text) => {
      try {
        CronExpressionParser.parse(text);
        return true;
      } catch {
        return false;
      }
    },
    { error: `must be a cron expression such as ${JSON.stringify(example)}` },
  );
}
