/**
 * A zod schema using every construct the resource schemas use or may use (schema-model.test.ts walks it, emits its
 * args and type-checks them against its z.input).
 */
import { z } from "zod";

export const sharedProbe = z
  .object({ host: z.string().describe("A host name.") })
  .strict();

export const probeSchema = z
  .object({
    text: z.string().min(1).describe("A required string."),
    count: z.number().int().positive().optional().describe("An optional whole number."),
    ratio: z.number().default(0.5).describe("A number with a default."),
    whole: z.int().describe("z.int()."),
    flag: z.boolean().default(false).describe("A boolean with a default."),
    mode: z.enum(["a", "b"]).default("a").describe("An enum."),
    off: z.literal(false).default(false).describe("A literal."),
    either: z.union([z.array(z.string()), z.string()]).optional().describe("A union of an array and a string."),
    choice: z
      .union([z.enum(["none", "env"]), z.object({ url: z.string().describe("The URL.") }).strict()])
      .default("none")
      .describe("A union with an object member."),
    list: z.array(z.unknown()).optional().describe("An array of unknown values."),
    env: z
      .record(z.string(), z.string())
      .optional()
      .describe("A record, refined after the description.")
      .superRefine((v, ctx) => {
        if (v !== undefined && "bad" in v) ctx.addIssue({ code: "custom", message: "bad key" });
      }),
    refined: z
      .string()
      .describe("Described, then refined.")
      .refine((s) => s !== "x", { message: "not x" })
      .optional(),
    nested: z
      .object({
        secret: z.string().optional().describe("A secret."),
        deeper: z.object({ level: z.number().describe("Two levels down.") }).strict().describe("An object in an object."),
      })
      .strict()
      .describe("A nested object."),
    maybe: z.string().nullable().optional().describe("A nullable string."),
    first: sharedProbe.describe("The shared object, once."),
    second: sharedProbe.optional().describe("The shared object, again."),
  })
  .strict();

export type ProbeInput = z.input<typeof probeSchema>;
