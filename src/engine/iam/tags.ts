import * as z from "zod";
import { constraint } from "../validation-message.ts";
import { IamError } from "./errors.ts";
import type { Tag } from "./store.ts";

/**
 * IAM tags as the IAM API reference's `Tag` type and tagging rules state them: at most 50 a resource, keys 1–128
 * and values 0–256 characters of `[\p{L}\p{Z}\p{N}_.:/=+\-@]`, and keys unique case-insensitively ("Duplicate tag
 * keys found. Please note that Tag keys are case insensitive.", InvalidInput, as IAM answers it). A request over the
 * 50 a resource may hold is LimitExceeded (409) in IAM's "Cannot exceed quota for <Quota>: <n>" wording.
 */

const MAX_IAM_TAGS = 50;
const tagText = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const keyPattern = "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+";
const valuePattern = "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*";

/** The `Tags` member of CreateRole, TagRole, CreatePolicy and TagPolicy (lengths and pattern per tag). */
export const tagsInput = z
  .array(
    z.object({
      Key: z
        .string()
        .min(1)
        .max(128)
        .regex(tagText, { error: constraint.pattern(keyPattern) }),
      Value: z
        .string()
        .max(256)
        .regex(tagText, { error: constraint.pattern(valuePattern) })
        .default(""),
    }),
  )
  .max(MAX_IAM_TAGS);

/** `TagKeys` of UntagRole and UntagPolicy. */
export const tagKeysInput = z.array(z.string().min(1).max(128)).max(MAX_IAM_TAGS);

/**
 * The tags a resource has after `added` are merged in (a key given again, in any case, replaces the value),
 * refusing duplicates within the request and a total over 50.
 */
export function mergeTags(existing: readonly Tag[], added: readonly Tag[], quota: string): Tag[] {
  const seen = new Set<string>();
  for (const tag of added) {
    const key = tag.Key.toLowerCase();
    if (seen.has(key))
      throw new IamError(
        400,
        "InvalidInput",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
      );
    seen.add(key);
  }
  const merged = existing.filter((tag) => !seen.has(tag.Key.toLowerCase())).map((tag) => ({ ...tag }));
  merged.push(...added.map((tag) => ({ Key: tag.Key, Value: tag.Value })));
  if (merged.length > MAX_IAM_TAGS)
    throw new IamError(409, "LimitExceeded", `Cannot exceed quota for ${quota}: ${MAX_IAM_TAGS}`);
  return merged;
}

/** The tags left once `keys` are removed (case-insensitively, as IAM matches keys). */
export function removeTags(existing: readonly Tag[], keys: readonly string[]): Tag[] {
  const removed = new Set(keys.map((key) => key.toLowerCase()));
  return existing.filter((tag) => !removed.has(tag.Key.toLowerCase()));
}
