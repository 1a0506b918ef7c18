import { Validator, type Schema } from "@cfworker/json-schema";
import { badRequest } from "./errors";
import { toJson, type Doc } from "./ejson";

/** Turns `#/address/zip` into `address.zip`, the path notation the rest of the API uses. */
function dotted(location: string): string {
  return location.replace(/^#\/?/, "").split("/").filter(Boolean).join(".") || "(document)";
}

export function compileValidator(schema: unknown): Validator {
  if (!schema || typeof schema !== "object" || Array.isArray(schema)) {
    throw badRequest("INVALID_VALIDATOR", "validator must be a JSON Schema object");
  }
  try {
    return new Validator(schema as Schema, "2020-12", false);
  } catch (err) {
    throw badRequest("INVALID_VALIDATOR", `validator is not a usable JSON Schema: ${(err as Error).message}`);
  }
}

/** Validates the relaxed-JSON form of a document; the 400 names every failing path. */
export function enforceSchema(validator: Validator, doc: Doc): void {
  const result = validator.validate(toJson(doc));
  if (result.valid) return;
  const leaves = result.errors.filter((e) => !["properties", "allOf", "anyOf", "items", "$ref"].includes(e.keyword));
  const errors = (leaves.length ? leaves : result.errors).map((e) => ({
    path: dotted(e.instanceLocation),
    message: e.error,
  }));
  throw badRequest(
    "SCHEMA_VALIDATION_FAILED",
    `document failed validation at ${errors[0].path}: ${errors[0].message}`,
    { errors },
  );
}
