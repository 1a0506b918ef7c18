// The products collection of the README's tour: every product has a unique SKU and a price of at least zero.
export async function up(ctx) {
  await ctx.api.createCollection("products", {
    validator: {
      type: "object",
      required: ["sku", "name", "price"],
      properties: { sku: { type: "string" }, name: { type: "string" }, price: { type: "number", minimum: 0 } },
    },
  });
  await ctx.api.createIndex("products", { sku: 1 }, { unique: true });
}

export async function down(ctx) {
  await ctx.api.dropCollection("products");
}
