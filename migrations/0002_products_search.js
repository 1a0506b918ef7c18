// Full-text search over product names (weighted) and descriptions, and a currency for prices stored before it existed.
export async function up(ctx) {
  await ctx.api.createIndex(
    "products",
    { name: "text", description: "text" },
    { name: "search", weights: { name: 5 } },
  );
  await ctx.api.updateMany("products", { currency: { $exists: false } }, { $set: { currency: "EUR" } });
}

export async function down(ctx) {
  await ctx.api.dropIndex("products", "search");
  await ctx.api.updateMany("products", { currency: "EUR" }, { $unset: { currency: "" } });
}
