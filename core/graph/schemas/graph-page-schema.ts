import { z } from 'zod';

/** A page of a Graph collection: `value` and, when there is more, `@odata.nextLink`. */
export function graphPageSchema<T extends z.ZodType>(item: T) {
  return z.looseObject({
    value: z.array(item),
    '@odata.nextLink': z.string().url().optional(),
  });
}
