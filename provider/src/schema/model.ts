/**
 * A zod 4 schema walked into a small, serialisable model of its shape: objects and their fields, each field's type,
 * whether a program may leave it out, its default, its description (the `.describe()` text) and whether it is a
 * secret. The SDK's typed args and their documentation are generated from this model (schema/typescript.ts); the native
 * provider's package schema (provider/src/native/schema.ts: types, descriptions, required-ness) from the same model.
 *
 * Pure: reads the schema objects only (zod's `_zod.def`, and the global registry that `.describe()` writes to), never
 * parses a value.
 */
import { z } from "zod";

export type TypeModel =
  | { readonly kind: "string" }
  | { readonly kind: "number"; readonly integer: boolean }
  | { readonly kind: "boolean" }
  | { readonly kind: "unknown" }
  | { readonly kind: "literal"; readonly values: readonly (string | number | boolean | null)[] }
  | { readonly kind: "enum"; readonly values: readonly (string | number)[] }
  | { readonly kind: "array"; readonly items: TypeModel }
  /** String keys (zod record keys used here are strings). */
  | { readonly kind: "record"; readonly values: TypeModel }
  | { readonly kind: "union"; readonly options: readonly TypeModel[] }
  | { readonly kind: "object"; readonly object: ObjectModel };

export interface ObjectModel {
  /** PascalCase name, unique within one walk: given for shared objects (Connection), else the path's (ConnectionAuth). */
  readonly name: string;
  /** `.strict()`: unknown keys are refused. */
  readonly strict: boolean;
  readonly fields: readonly FieldModel[];
}

export interface FieldModel {
  readonly name: string;
  /** Dotted path from the walked root, for messages ("connection.auth.password"). */
  readonly path: string;
  readonly type: TypeModel;
  /** A program may leave it out (`.optional()` or `.default()`): optional in z.input. */
  readonly optional: boolean;
  /** `.default(v)`: the value filled in when left out (present in z.output). */
  readonly default: { readonly value: unknown } | undefined;
  /** The `.describe()` text (the outermost one when wrappers carry several). */
  readonly description: string | undefined;
  readonly secret: boolean;
}

export interface WalkOptions {
  /** Names for object schemas met in several places (matched by their shape, which `.describe()` clones share). */
  readonly names?: ReadonlyMap<z.ZodObject, string>;
  /** Secret fields, as "<ObjectName>.<field>" (e.g. "ConnectionAuth.password"). */
  readonly secrets?: ReadonlySet<string>;
}

/** An error in the schema itself (an unsupported zod construct), naming the field's path. */
export class SchemaModelError extends Error {
  constructor(path: string, message: string) {
    super(`${path === "" ? "(root)" : path}: ${message}`);
    this.name = "SchemaModelError";
  }
}

type AnySchema = z.core.$ZodType;

/** zod's internal definition, read through the fields this walker uses. */
interface Def {
  type: string;
  innerType?: AnySchema;
  defaultValue?: unknown;
  shape?: Record<string, AnySchema>;
  catchall?: AnySchema;
  options?: readonly AnySchema[];
  element?: AnySchema;
  keyType?: AnySchema;
  valueType?: AnySchema;
  entries?: Record<string, string | number>;
  values?: readonly unknown[];
  in?: AnySchema;
}

const defOf = (s: AnySchema): Def => s._zod.def;

/** The description `.describe()` registered for `s` (inherited by the clones `.refine()` / `.superRefine()` make). */
export function descriptionOf(s: AnySchema): string | undefined {
  const d = z.globalRegistry.get(s)?.description;
  return typeof d === "string" && d.trim() !== "" ? d : undefined;
}

/** The model of an object schema (the root of a resource's inputs, or any object). */
export function objectModel(schema: z.ZodObject, rootName: string, options: WalkOptions = {}): ObjectModel {
  return new Walker(options).object(schema, rootName, "");
}

/** Models of several roots walked together: an object they share (by shape) is one ObjectModel, named once. */
export function objectModels(roots: readonly (readonly [z.ZodObject, string])[], options: WalkOptions = {}): ObjectModel[] {
  const walker = new Walker(options);
  return roots.map(([schema, name]) => walker.object(schema, name, ""));
}

class Walker {
  /** Objects already modelled, by shape: a shared object (the connection) is modelled once. */
  private readonly byShape = new Map<unknown, ObjectModel>();
  private readonly names: Map<unknown, string>;
  private readonly usedNames = new Map<string, unknown>();

  constructor(private readonly options: WalkOptions) {
    this.names = new Map([...(options.names ?? new Map<z.ZodObject, string>())].map(([s, n]) => [defOf(s).shape, n]));
  }

  object(schema: AnySchema, fallbackName: string, path: string): ObjectModel {
    const def = defOf(schema);
    const shape = def.shape;
    if (shape === undefined) throw new SchemaModelError(path, "expected an object schema");
    const known = this.byShape.get(shape);
    if (known !== undefined) return known;
    const name = this.names.get(shape) ?? fallbackName;
    const clash = this.usedNames.get(name);
    if (clash !== undefined && clash !== shape) {
      throw new SchemaModelError(path, `two different objects would both be named ${name}; name one in WalkOptions.names`);
    }
    this.usedNames.set(name, shape);
    const fields: FieldModel[] = [];
    // No description of its own here: a `.describe()` on an object field describes the field (and the shared clones
    // of one object carry each field's text), so it is the field's.
    const model: ObjectModel = {
      name,
      strict: def.catchall !== undefined && defOf(def.catchall).type === "never",
      fields,
    };
    this.byShape.set(shape, model);
    for (const [key, field] of Object.entries(shape)) fields.push(this.field(field, key, name, path === "" ? key : `${path}.${key}`));
    return model;
  }

  private field(schema: AnySchema, key: string, objectName: string, path: string): FieldModel {
    let s = schema;
    let optional = false;
    let dflt: { value: unknown } | undefined;
    let description = descriptionOf(s);
    // Wrappers that change presence, not the type; descriptions may sit on any of them.
    for (;;) {
      const def = defOf(s);
      if (def.type === "optional") optional = true;
      else if (def.type === "default" || def.type === "prefault") {
        optional = true;
        dflt ??= { value: def.defaultValue };
      } else if (def.type !== "readonly" && def.type !== "nonoptional" && def.type !== "catch") break;
      if (def.type === "nonoptional") optional = false;
      s = def.innerType as AnySchema;
      description ??= descriptionOf(s);
    }
    return {
      name: key,
      path,
      type: this.type(s, `${objectName}${pascal(key)}`, path),
      optional,
      default: dflt,
      description,
      secret: this.options.secrets?.has(`${objectName}.${key}`) ?? false,
    };
  }

  private type(s: AnySchema, nameHere: string, path: string): TypeModel {
    const def = defOf(s);
    switch (def.type) {
      case "string":
        return { kind: "string" };
      case "number":
      case "int":
        return { kind: "number", integer: def.type === "int" || (s as z.ZodNumber).isInt === true };
      case "boolean":
        return { kind: "boolean" };
      case "unknown":
      case "any":
        return { kind: "unknown" };
      case "literal":
        return { kind: "literal", values: (def.values ?? []).map((v) => literalValue(v, path)) };
      case "enum":
        return { kind: "enum", values: Object.values(def.entries ?? {}) };
      case "array":
        return { kind: "array", items: this.type(def.element as AnySchema, nameHere, `${path}[]`) };
      case "record": {
        const keyKind = defOf(def.keyType as AnySchema).type;
        if (keyKind !== "string") throw new SchemaModelError(path, `record keys must be strings (got ${keyKind})`);
        return { kind: "record", values: this.type(def.valueType as AnySchema, nameHere, `${path}{}`) };
      }
      case "union": {
        const options = def.options ?? [];
        const objects = options.filter((o) => defOf(o).type === "object").length;
        let n = 0;
        return {
          kind: "union",
          options: options.map((o) => {
            const objectName = defOf(o).type === "object" && objects > 1 ? `${nameHere}${++n}` : nameHere;
            return this.type(o, objectName, path);
          }),
        };
      }
      case "object":
        return { kind: "object", object: this.object(s, nameHere, path) };
      case "pipe":
        // A transform's input side is what a program writes.
        return this.type(def.in as AnySchema, nameHere, path);
      case "null":
        return { kind: "literal", values: [null] };
      case "nullable":
        return { kind: "union", options: [this.type(def.innerType as AnySchema, nameHere, path), { kind: "literal", values: [null] }] };
      case "optional":
      case "default":
      case "prefault":
      case "readonly":
      case "catch":
        // Presence wrappers inside a union member or an array element: the type is the inner one.
        return this.type(def.innerType as AnySchema, nameHere, path);
      default:
        throw new SchemaModelError(path, `zod type "${def.type}" is not supported by the schema model; extend schema/model.ts`);
    }
  }
}

function literalValue(v: unknown, path: string): string | number | boolean | null {
  if (v === null || typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
  throw new SchemaModelError(path, `literal of type ${typeof v} is not supported`);
}

/** "auth" -> "Auth", "serviceAuth" -> "ServiceAuth". */
export function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** Every field of an object and of the objects inside it, depth first, each object once. */
export function allFields(root: ObjectModel): FieldModel[] {
  const out: FieldModel[] = [];
  for (const o of allObjects(root)) out.push(...o.fields);
  return out;
}

/** The object and every object reachable from it, each once, in first-met order (root first). */
export function allObjects(root: ObjectModel): ObjectModel[] {
  const seen = new Set<ObjectModel>();
  const visit = (o: ObjectModel): void => {
    if (seen.has(o)) return;
    seen.add(o);
    for (const f of o.fields) for (const inner of objectsIn(f.type)) visit(inner);
  };
  visit(root);
  return [...seen];
}

/** The objects a type refers to directly (not inside them). */
export function objectsIn(t: TypeModel): ObjectModel[] {
  switch (t.kind) {
    case "object":
      return [t.object];
    case "array":
      return objectsIn(t.items);
    case "record":
      return objectsIn(t.values);
    case "union":
      return t.options.flatMap(objectsIn);
    default:
      return [];
  }
}
