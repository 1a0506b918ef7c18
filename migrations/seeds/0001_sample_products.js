// Sample data for a fresh database: `npm run migrate -- seed` applies it once.
export async function up(ctx) {
  await ctx.api.insertMany("products", [
    {
      sku: "MUG-01",
      name: "Enamel mug",
      description: "A camping mug that survives the fire.",
      price: 12.5,
      currency: "EUR",
    },
    {
      sku: "KET-02",
      name: "Kettle",
      description: "Stovetop kettle, whistles when the water boils.",
      price: 34,
      currency: "EUR",
    },
    {
      sku: "BEAN-03",
      name: "Coffee beans",
      description: "Washed Ethiopian coffee, light roast.",
      price: 16,
      currency: "EUR",
    },
    { sku: "GRND-04", name: "Hand grinder", description: "Burr grinder for coffee beans.", price: 59, currency: "EUR" },
    {
      sku: "FILT-05",
      name: "Paper filters",
      description: "One hundred filters for pour-over coffee.",
      price: 4.2,
      currency: "EUR",
    },
  ]);
}
