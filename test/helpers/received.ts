/** One request as the test webhook receiver recorded it (shared by the receiver and the tests that read it). */
export interface Received {
  path: string;
  at: number;
  headers: Record<string, string>;
  body: string;
  answered: number | string;
}
