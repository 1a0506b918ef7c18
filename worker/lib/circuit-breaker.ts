export type CircuitState = "closed" | "open" | "half-open";

export interface CircuitOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before one trial request is let through. */
  cooldownMs: number;
}

/**
 * Classic three-state breaker. While open, callers fail fast instead of piling requests on a dead upstream;
 * after the cooldown exactly one trial goes through and its outcome closes or re-opens the circuit.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  state: CircuitState = "closed";

  constructor(
    private options: CircuitOptions,
    private now: () => number = Date.now,
  ) {}

  /** Whether a request may go out now; when it may not, `retryInMs` says when it might. */
  admit(): { allowed: true } | { allowed: false; retryInMs: number } {
    if (this.state === "closed") return { allowed: true };
    const elapsed = this.now() - this.openedAt;
    if (this.state === "open" && elapsed >= this.options.cooldownMs) {
      this.state = "half-open";
      this.trialInFlight = false;
    }
    if (this.state === "half-open" && !this.trialInFlight) {
      this.trialInFlight = true;
      return { allowed: true };
    }
    return { allowed: false, retryInMs: Math.max(0, this.options.cooldownMs - elapsed) };
  }

  success(): void {
    this.failures = 0;
    this.trialInFlight = false;
    this.state = "closed";
  }

  failure(): void {
    this.failures++;
    this.trialInFlight = false;
    if (this.state === "half-open" || this.failures >= this.options.failureThreshold) {
      this.state = "open";
      this.openedAt = this.now();
    }
  }
}
