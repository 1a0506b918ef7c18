import { describe, expect, it } from "vitest";
import { fromMongoSchema, toMongoSchema, validationFailures, validatorOf } from "../../worker/mongodb/schema";
import { mongoError } from "../../worker/mongodb/errors";

const serverError = (fields: Record<string, unknown>) =>
  Object.assign(new Error(String(fields.errmsg ?? "server error")), { name: "MongoServerError", ...fields });

describe("mongodb validators and errors (pure mapping)", () => {
  it("translates JSON Schema to $jsonSchema and back", () => {
    const schema = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties: {
        n: { type: "integer" },
        m: { type: ["integer", "boolean"] },
        s: { type: "string", format: "email" },
      },
    };
    const mongo = toMongoSchema(schema);
    expect(mongo).toEqual({
      type: "object",
      properties: { n: { bsonType: ["int", "long"] }, m: { bsonType: ["int", "long", "bool"] }, s: { type: "string" } },
    });
    expect(fromMongoSchema(mongo)).toEqual({
      type: "object",
      properties: { n: { type: "integer" }, m: { type: ["integer", "boolean"] }, s: { type: "string" } },
    });
    expect(validatorOf({ validator: { $jsonSchema: mongo } })).toEqual(fromMongoSchema(mongo));
    expect(validatorOf({ validator: { qty: { $gt: 0 } } })).toEqual({ qty: { $gt: 0 } });
    expect(validatorOf({})).toBeUndefined();
  });

  it("names every failing path of MongoDB's errInfo, nested properties and items included", () => {
    const details = {
      operatorName: "$jsonSchema",
      schemaRulesNotSatisfied: [
        { operatorName: "required", specifiedAs: { required: ["name"] }, missingProperties: ["name"] },
        {
          operatorName: "properties",
          propertiesNotSatisfied: [
            {
              propertyName: "address",
              details: [
                {
                  operatorName: "properties",
                  propertiesNotSatisfied: [
                    { propertyName: "zip", details: [{ operatorName: "bsonType", reason: "type did not match" }] },
                  ],
                },
              ],
            },
            {
              propertyName: "tags",
              details: [
                {
                  operatorName: "items",
                  itemIndex: 2,
                  details: [{ operatorName: "maxLength", reason: "specified string length was not satisfied" }],
                },
              ],
            },
          ],
        },
        { operatorName: "additionalProperties", additionalProperties: ["extra"] },
      ],
    };
    expect(validationFailures(details)).toEqual([
      { path: "name", message: "is required" },
      { path: "address.zip", message: "bsonType: type did not match" },
      { path: "tags.2", message: "maxLength: specified string length was not satisfied" },
      { path: "extra", message: "is not allowed" },
    ]);
    expect(validationFailures(undefined)).toEqual([
      { path: "(document)", message: "failed the collection's validator" },
    ]);
  });

  it("maps server and network errors to Docflare's codes", () => {
    expect(
      mongoError(
        serverError({
          code: 11000,
          errmsg: 'E11000 duplicate key error collection: db.c index: by_email dup key: { email: "a" }',
          keyValue: { email: "a" },
        }),
      ).toBody(),
    ).toMatchObject({ status: 409, code: "DUPLICATE_KEY", details: { index: "by_email", keyValue: { email: "a" } } });
    const bulk = Object.assign(new Error("bulk"), {
      name: "MongoBulkWriteError",
      code: 11000,
      writeErrors: [{ code: 11000, errmsg: "E11000 duplicate key error index: _id_ dup key" }],
    });
    expect(mongoError(bulk)).toMatchObject({ status: 409, code: "DUPLICATE_KEY", details: { index: "_id_" } });
    expect(
      mongoError(
        serverError({
          code: 121,
          errInfo: { details: { schemaRulesNotSatisfied: [{ operatorName: "required", missingProperties: ["a"] }] } },
        }),
      ),
    ).toMatchObject({ status: 400, code: "SCHEMA_VALIDATION_FAILED", details: { errors: [{ path: "a" }] } });
    expect(mongoError(serverError({ code: 50 }))).toMatchObject({ status: 400, code: "QUERY_BUDGET_EXCEEDED" });
    expect(mongoError(serverError({ code: 2, errmsg: "unknown operator: $foo" }))).toMatchObject({
      status: 400,
      code: "UPSTREAM_INVALID_INPUT",
    });
    expect(mongoError(serverError({ code: 13, errmsg: "not authorized" }))).toMatchObject({
      status: 502,
      code: "UPSTREAM_ERROR",
    });
    expect(mongoError(Object.assign(new Error("t"), { name: "MongoNetworkTimeoutError" }))).toMatchObject({
      status: 504,
      code: "UPSTREAM_TIMEOUT",
    });
    expect(mongoError(Object.assign(new Error("s"), { name: "MongoServerSelectionError" }))).toMatchObject({
      status: 503,
      code: "UPSTREAM_UNAVAILABLE",
    });
    expect(mongoError(Object.assign(new Error("p"), { name: "MongoParseError" }))).toMatchObject({
      status: 503,
      code: "STORE_NOT_CONFIGURED",
    });
  });
});
