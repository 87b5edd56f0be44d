/**
 * Type-level agreement between a generated args interface and the zod input type it comes from (used by
 * sdk-args-types.test.ts, and by schema-model.test.ts, which compiles it against emitted args with a field dropped).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { ArgsOf } from "../../sdk/src/types.js";

/** T with every pulumi.Input (Output, Promise) replaced by its value, at every depth (pulumi.Unwrap makes unknown never). */
type Plain<T> =
  T extends pulumi.OutputInstance<infer U>
    ? Plain<U>
    : T extends Promise<infer U>
      ? Plain<U>
      : T extends readonly (infer E)[]
        ? Plain<E>[]
        : T extends object
          ? { [K in keyof T]: Plain<T[K]> }
          : T;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Every property required, at every depth (so a field missing on one side shows even when it is optional). */
type DeepRequired<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends object
    ? { [K in keyof T]-?: DeepRequired<Exclude<T[K], undefined>> }
    : T;

/**
 * `true` when Args takes exactly what ArgsOf<Input> takes (both ways), and Args unwrapped has the fields of Input at
 * every depth, each with the same type; `never` otherwise (so `true satisfies Agree<A, I>` fails to compile).
 */
export type Agree<Args, Input> =
  Same<Args, ArgsOf<Input>> extends true
    ? Same<DeepRequired<Plain<Args>>, DeepRequired<Input>> extends true
      ? Same<keyof Args, keyof Input> extends true
        ? true
        : never
      : never
    : never;

export const GENERATED_AGREES_WITH_ZOD = true;
