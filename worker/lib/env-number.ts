/** A numeric var from the environment, or the documented default when it is unset, empty or not a number. */
export function envNumber(value: string | undefined, fallback: number): number {
  return value !== undefined && value !== "" && Number.isFinite(Number(value)) ? Number(value) : fallback;
}
