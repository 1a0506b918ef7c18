const encoder = new TextEncoder();

/** SHA-256 of a text as lowercase hex, cut to `bytes` bytes (32 keeps the whole digest). */
export async function sha256Hex(text: string, bytes = 32): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode(text));
  return [...new Uint8Array(digest).slice(0, bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
